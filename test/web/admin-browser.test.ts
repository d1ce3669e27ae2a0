/**
 * The admin pages in a real browser (Debian's chromium via playwright-core): the admin moves
 * between the pages by their navigation, searches users and promotes and disables one (the
 * forms ask first), filters the audit log and sees its detail as key: value, runs GC and finds
 * the run on the storage page. Each page is checked with axe-core at 1280 and 375 px (no serious
 * or critical violations, no sideways scrolling on a phone) and saved as screenshots
 * (test/artifacts/screenshots/admin-*).
 */
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { loginWithPhone } from '../helpers/accounts.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { axeViolations } from './axe.js';
import { findChromium, launchBrowser, screenshots, type TestBrowser } from './browser.js';

const ADMIN_PHONE = '+4915112349001';

describe('web: admin pages in a browser (users, audit log, storage)', function () {
  this.timeout(180_000);
  let srv: TestServer;
  let browser: TestBrowser | undefined;
  let page: Page;
  const problems: string[] = [];

  async function checkPage(name: string): Promise<void> {
    expect(await page.title(), name).to.match(/appshelf/);
    const unlabelled = await page.evaluate<
      string[]
    >(`[...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
      .filter((e) => e.labels.length === 0 && !e.getAttribute('aria-label')).map((e) => e.name || e.id)`);
    expect(unlabelled, `${name}: form fields without a label`).to.deep.equal([]);
    await screenshots(page, `admin-${name}`);
    for (const width of [1280, 375]) {
      await page.setViewportSize({ width, height: width === 375 ? 812 : 800 });
      expect(await axeViolations(page), `${name} at ${width} px`).to.deep.equal([]);
      if (width === 375)
        expect(
          await page.evaluate<number>('document.documentElement.scrollWidth'),
          `${name}: wider than a 375 px phone`,
        ).to.be.at.most(375);
    }
    await page.setViewportSize({ width: 1280, height: 800 });
  }

  before(async function () {
    const chromium = findChromium();
    if (!chromium) return this.skip(); // outside CI only: findChromium throws in CI
    srv = await startTestServer({ auth: { admins: [ADMIN_PHONE] } });
    const admin = await loginWithPhone(srv, ADMIN_PHONE, 'boss');
    await loginWithPhone(srv, '+4915112349002', 'carla');
    browser = await launchBrowser(chromium);
    page = browser.page;
    page.on('pageerror', (e) => void problems.push(e.message));
    page.on(
      'console',
      (m) =>
        void (
          m.type() === 'error' &&
          !m.text().startsWith('Failed to load resource') &&
          problems.push(m.text())
        ),
    );
    page.on('dialog', (d) => void d.accept());
    await browser.context.addCookies([
      { name: 'appshelf_session', value: admin.token, url: srv.url },
    ]);
  });

  after(async () => {
    await browser?.close();
    await srv?.close();
  });

  afterEach(() => {
    expect(problems, 'script errors and CSP reports').to.deep.equal([]);
  });

  it('searches users, promotes and disables one', async () => {
    await page.goto(`${srv.url}/admin`);
    await checkPage('overview');
    await page.click('nav[aria-label="Administration"] a:text-is("Users")');
    await page.fill('#u-q', 'carl');
    await page.click('button:text-is("Search")');
    expect(await page.textContent('table.users'))
      .to.contain('carla')
      .and.not.contain('boss');
    await page.click('button:has-text("Promote carla")');
    expect(await page.textContent('[role=status]')).to.contain('now an administrator');
    await page.click('button:has-text("Disable carla")');
    expect(await page.textContent('tr:has(a:text-is("carla"))')).to.contain('disabled');
    expect(new URL(page.url()).searchParams.get('q')).to.equal('carl');
    await checkPage('users');
  });

  it('filters the audit log and shows the detail as key: value', async () => {
    await page.click('nav[aria-label="Administration"] a:text-is("Audit log")');
    await page.fill('#f-action', 'user.');
    await page.fill('#f-target', 'carla');
    await page.click('button:text-is("Filter")');
    const rows = page.locator('table.audit tbody tr:has(code:text-is("user.admin-changed"))');
    expect(await rows.count()).to.equal(2);
    expect(
      await page.locator('table.audit tbody tr:not(:has(code:text-matches("^user\\.")))').count(),
    ).to.equal(0);
    expect(await page.textContent('table.audit'))
      .to.contain('disabled')
      .and.contain('role');
    await checkPage('audit');
  });

  it('runs GC and finds the run on the storage page', async () => {
    await page.click('nav[aria-label="Administration"] a:text-is("Overview")');
    await page.click('button:text-is("Run")');
    expect(await page.textContent('.report')).to.contain('Freed');
    await page.click('nav[aria-label="Administration"] a:text-is("Storage")');
    expect(await page.textContent('table.gc-runs')).to.contain('boss');
    expect(await page.textContent('table.namespaces')).to.contain('carla');
    await checkPage('storage');
  });
});
