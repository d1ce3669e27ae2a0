/**
 * Publishing a draft in a real browser (issue 16 §2): the owner publishes a version whose image
 * is on another registry (a second store, with a login given in the form), lands on the sync
 * page, and the page follows the job as it runs (its script reads the store API's sync status)
 * until the version is ready; the page works at both widths with axe-core.
 */
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { loginWithPhone } from '../helpers/accounts.js';
import { TestRegistryClient } from '../helpers/registry-client.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { pushTemplate } from '../store/app-pushes.js';
import { findChromium, launchBrowser, watchProblems, type TestBrowser } from './browser.js';
import { checkPage } from './page-checks.js';

describe('web: publishing a draft follows the sync live', function () {
  this.timeout(180_000);
  let srv: TestServer;
  let source: TestServer;
  let browser: TestBrowser | undefined;
  let page: Page;
  const problems: string[] = [];

  before(async function () {
    const chromium = findChromium();
    if (!chromium) return this.skip(); // outside CI only: findChromium throws in CI
    [srv, source] = await Promise.all([startTestServer(), startTestServer()]);
    const owner = await loginWithPhone(srv, '+4915112349901', 'olga');
    await new TestRegistryClient(source.url, { username: 'admin', password: ADMIN_KEY }).pushImage(
      'acme/web',
      '1',
    );
    const template = {
      group_key: 'e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1',
      group_name: 'drafty',
      group_version: '2.0.0',
      apps: [
        {
          service_id: 'aaaabbbbccccddddeeeeffff00002222',
          service_key: 'aaaabbbbccccddddeeeeffff00002222',
          service_cname: 'web',
          extend_method: 'stateless_multiple',
          share_image: `${source.host}/acme/web:1`,
        },
      ],
    };
    await pushTemplate(
      new TestRegistryClient(srv.url, { username: 'admin', password: ADMIN_KEY }),
      'olga/drafty',
      Buffer.from(JSON.stringify(template)),
      '2.0.0',
    );
    browser = await launchBrowser(chromium);
    page = browser.page;
    watchProblems(page, problems);
    await browser.context.addCookies([
      { name: 'appshelf_session', value: owner.token, url: srv.url },
    ]);
  });

  after(async () => {
    await browser?.close();
    await Promise.all([srv?.close(), source?.close()]);
  });

  afterEach(() => {
    expect(problems, 'script errors and CSP reports').to.deep.equal([]);
  });

  it('publishes from the management page and watches the copy until the version is ready', async () => {
    await page.goto(`${srv.url}/my/apps/olga/drafty`);
    const form = page.locator('form[action$="/versions/2.0.0/publish"]');
    await form.locator('summary:text-is("Source registry login")').click();
    await form.locator('input[name=registry]').fill(source.host);
    await form.locator('input[name=username]').fill('admin');
    await form.locator('input[name=password]').fill(ADMIN_KEY);
    const polled = page.waitForResponse((r) =>
      r.url().endsWith('/api/v1/apps/olga/drafty/versions/2.0.0/sync'),
    );
    await form.locator('button:has-text("Publish")').click();
    expect(new URL(page.url()).pathname).to.equal('/my/apps/olga/drafty/versions/2.0.0/sync');
    expect(await page.textContent('h1')).to.equal('Publishing olga/drafty:2.0.0');
    expect((await polled).status()).to.equal(200);
    await page.waitForSelector('[data-sync-state]:text("done")', { timeout: 60_000 });
    expect(await page.textContent('[data-sync-outcome]')).to.contain('Published.');
    expect(await page.getAttribute('progress', 'value')).to.equal(
      await page.getAttribute('progress', 'max'),
    );
    expect(await page.textContent('table.sync-components')).to.contain(`${source.host}/acme/web:1`);
    await checkPage(page, 'sync-done');
  });
});
