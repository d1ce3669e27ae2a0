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
import { checkPage as checkPageHolds } from './page-checks.js';
import { findChromium, launchBrowser, type TestBrowser } from './browser.js';

const ADMIN_PHONE = '+4915112349001';

describe('web: admin pages in a browser (users, audit log, storage)', function () {
  this.timeout(180_000);
  let srv: TestServer;
  let browser: TestBrowser | undefined;
  let page: Page;
  const problems: string[] = [];

  /** The title names the store; then what every page must hold (page-checks.ts). */
  async function checkPage(name: string): Promise<void> {
    expect(await page.title(), name).to.match(/appshelf/);
    await checkPageHolds(page, `admin-${name}`);
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
