/**
 * Publishing a draft in a real browser (issue 16 §2): the owner publishes a version whose image
 * is on another registry (a second store, with a login given in the form), lands on the sync
 * page, and the page follows the job as it runs (its script reads the store API's sync status)
 * until the version is ready; then uploads a new version's template file from the same page: its
 * image elsewhere makes it a draft whose copy starts at once, followed on the same sync page; a
 * file that is no template is refused on the page, naming what is wrong. Pages at both widths
 * with axe-core.
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
  let template: Record<string, unknown> = {};

  before(async function () {
    const chromium = findChromium();
    if (!chromium) return this.skip(); // outside CI only: findChromium throws in CI
    [srv, source] = await Promise.all([startTestServer(), startTestServer()]);
    const owner = await loginWithPhone(srv, '+4915112349901', 'olga');
    await new TestRegistryClient(source.url, { username: 'admin', password: ADMIN_KEY }).pushImage(
      'acme/web',
      '1',
    );
    template = {
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
    // The refused upload below is the one answer allowed to be a 400.
    watchProblems(page, problems, (m) =>
      m.text().includes('the server responded with a status of 400'),
    );
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

  it('uploads a new version from a template file and follows its sync; refuses a file that is no template', async () => {
    await page.goto(`${srv.url}/my/apps/olga/drafty`);
    await checkPage(page, 'sync-manage-upload');
    await page.setInputFiles('#up-template', {
      name: 'notes.json',
      mimeType: 'application/json',
      buffer: Buffer.from('{"group_name": "drafty", "apps": "none"'),
    });
    await page.fill('#up-version', '3.0.0');
    await page.click('button:text-is("Upload the version")');
    expect(await page.textContent('.notice.error')).to.contain('not valid JSON');

    await page.setInputFiles('#up-template', {
      name: 'drafty-3.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify({ ...template, group_version: '3.0.0' })),
    });
    await page.fill('#up-version', '');
    await page.fill('#up-description', 'Faster start.');
    await page.click('summary:text-is("Login for images on other registries")');
    await page.fill('#up-registry', source.host);
    await page.fill('#up-username', 'admin');
    await page.fill('#up-password', ADMIN_KEY);
    await page.click('button:text-is("Upload the version")');
    expect(new URL(page.url()).pathname).to.equal('/my/apps/olga/drafty/versions/3.0.0/sync');
    await page.waitForSelector('[data-sync-state]:text("done")', { timeout: 60_000 });
    const listed = await fetch(`${srv.url}/api/v1/apps/olga/drafty/versions`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    const { versions } = (await listed.json()) as {
      versions: { version: string; state: string; description: string }[];
    };
    expect(versions.find((v) => v.version === '3.0.0')).to.deep.include({
      state: 'ready',
      description: 'Faster start.',
    });
  });
});
