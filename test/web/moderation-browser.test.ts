/**
 * Moderation in a real browser (issue 16 §2): the administrator finds an app on the admin Apps
 * page, a takedown without a reason is refused on the page, then taken down with one; the owner
 * reads the reason on the app's management page and has no way to list it again; the admin
 * restores it from the "Under moderation" table. Each page is checked as every page is (labels,
 * axe-core at both widths, no sideways scrolling) and kept as screenshots (moderation-*).
 */
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { api, loginWithPhone } from '../helpers/accounts.js';
import { shelvedApp } from '../helpers/shelved-app.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { findChromium, launchBrowser, watchProblems, type TestBrowser } from './browser.js';
import { checkPage } from './page-checks.js';

const ADMIN_PHONE = '+4915112349601';

describe('web: moderation of apps in a browser', function () {
  this.timeout(180_000);
  let srv: TestServer;
  let browser: TestBrowser | undefined;
  let page: Page;
  let owner = '';
  let admin = '';
  const problems: string[] = [];
  const as = (session: string) =>
    browser!.context.addCookies([{ name: 'appshelf_session', value: session, url: srv.url }]);

  before(async function () {
    const chromium = findChromium();
    if (!chromium) return this.skip(); // outside CI only: findChromium throws in CI
    srv = await startTestServer({ auth: { admins: [ADMIN_PHONE] } });
    admin = (await loginWithPhone(srv, ADMIN_PHONE, 'boss')).token;
    owner = await shelvedApp(srv, { phone: '+4915112349602', user: 'olga' }, 'shop');
    browser = await launchBrowser(chromium);
    page = browser.page;
    // The refused takedown (a reason of spaces only) is the one answer allowed to be a 400.
    watchProblems(page, problems, (m) =>
      m.text().includes('the server responded with a status of 400'),
    );
    page.on('dialog', (d) => void d.accept());
  });

  after(async () => {
    await browser?.close();
    await srv?.close();
  });

  afterEach(() => {
    expect(problems, 'script errors and CSP reports').to.deep.equal([]);
  });

  it('the admin finds the app; a takedown needs a reason; with one the app goes', async () => {
    await as(admin);
    await page.goto(`${srv.url}/admin`);
    await page.click('nav[aria-label="Administration"] a:text-is("Apps")');
    expect(await page.textContent('#moderated-h + p')).to.contain('No app is under moderation');
    await page.fill('#a-app', 'olga/shop');
    await page.click('button:text-is("Find")');
    expect(await page.textContent('#app-h')).to.equal('olga/shop');
    expect(await page.textContent('#app-h + p')).to.contain('on the shelf');
    await checkPage(page, 'moderation-admin-app');
    // Past the browser's own check (required), the store's: a reason of spaces only.
    await page.fill('#m-reason', '   ');
    await page.click('button:has-text("Take down")');
    expect(await page.textContent('.notice.error')).to.contain('give the owner a reason');
    await page.fill('#m-reason', 'Ships a cryptominer.');
    await page.click('button:has-text("Take down")');
    expect(await page.textContent('[role=status]')).to.contain('taken down');
    expect(await page.textContent('table.moderated'))
      .to.contain('olga/shop')
      .and.contain('Ships a cryptominer.');
    await checkPage(page, 'moderation-admin-list');
    const anonymous = await api(srv, 'GET', '/api/v1/apps/olga/shop');
    expect(anonymous.status).to.equal(404);
  });

  it('the owner reads the reason on the management page and cannot list the app again', async () => {
    await as(owner);
    await page.goto(`${srv.url}/my/apps/olga/shop`);
    expect(await page.textContent('#shelf-h + .notice'))
      .to.contain('An administrator took this app down')
      .and.contain('Ships a cryptominer.');
    expect(await page.locator('button:has-text("Put it on the shelf")').count()).to.equal(0);
    await checkPage(page, 'moderation-owner');
  });

  it('the admin restores it from the list; the owner may list it again', async () => {
    await as(admin);
    await page.goto(`${srv.url}/admin/apps`);
    await page.click('table.moderated button:has-text("Restore")');
    expect(await page.textContent('[role=status]')).to.contain('moderation is lifted');
    expect(await page.textContent('#moderated-h + p')).to.contain('No app is under moderation');
    await as(owner);
    await page.goto(`${srv.url}/my/apps/olga/shop`);
    await page.click('button:text-is("Put it on the shelf")');
    expect(await page.textContent('#shelf-h ~ p')).to.contain('everyone sees it');
  });
});
