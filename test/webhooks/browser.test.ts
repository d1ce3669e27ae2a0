/**
 * The webhooks sections in a real browser (Debian's chromium via playwright-core): an owner adds
 * a hook on the app's management page, puts the app on the shelf, sees the delivery in the
 * history and redelivers it with the button; then opens the namespace's webhooks page. Each page
 * keeps its labels and fits a 375 px phone; screenshots in test/artifacts/screenshots/.
 */
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { codeFromLogs } from '../helpers/accounts.js';
import { LOOPBACK_REGISTRIES, startTestServer, type TestServer } from '../helpers/server.js';
import { findChromium, launchBrowser, type TestBrowser } from '../web/browser.js';
import { checkPage } from '../web/page-checks.js';
import { expectedSignature, Receiver } from './receiver.js';

const PHONE = '+4915112349301';
const SECRET = 'browser-test-secret-0123456789';

describe('webhooks: the pages in a browser', function () {
  this.timeout(120_000);
  let srv: TestServer;
  let receiver: Receiver;
  let browser: TestBrowser | undefined;
  let page: Page;
  const problems: string[] = [];

  before(async function () {
    const chromium = findChromium();
    if (!chromium) return this.skip(); // outside CI only: findChromium throws in CI
    srv = await startTestServer({
      webhooks: { allowHosts: LOOPBACK_REGISTRIES, retryBaseSeconds: 0.1 },
    });
    receiver = await Receiver.start();
    browser = await launchBrowser(chromium);
    page = browser.page;
    page.on('pageerror', (e) => void problems.push(e.message));
  });
  after(async () => {
    await browser?.close();
    await srv?.close();
    await receiver?.close();
  });

  it('adds a hook, sees the delivery of a shelf change and redelivers it', async () => {
    await page.goto(`${srv.url}/login`);
    await page.fill('#phone', PHONE);
    await page.click('button:has-text("Send code")');
    await page.fill('#code', codeFromLogs(srv, PHONE));
    await page.fill('#name', 'brina');
    await page.click('button:has-text("Sign in")');
    await page.goto(`${srv.url}/my`);
    await page.fill('#new-name', 'site');
    await page.click('button:has-text("Create")');
    expect(new URL(page.url()).pathname).to.equal('/my/apps/brina/site');

    await page.fill('#hook-url', receiver.url);
    await page.check('input[name=events][value=listed]');
    await page.fill('#hook-secret', SECRET);
    await page.selectOption('#hook-format', 'cloudevents');
    await page.click('button:has-text("Add the webhook")');
    expect(await page.textContent('[role=status]')).to.contain('The webhook is added.');

    await page.click('button:has-text("Put it on the shelf")');
    const [got] = await receiver.waitFor((r) => r.headers['x-appshelf-event'] === 'listed');
    expect(got!.headers['x-appshelf-signature']).to.equal(expectedSignature(got!.body, SECRET));
    for (let i = 0; i < 50; i++) {
      await page.goto(`${srv.url}/my/apps/brina/site`);
      if (await page.isVisible('table.deliveries .badge.ok')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await page.textContent('table.deliveries tbody tr'))
      .to.contain('listed')
      .and.contain('delivered');
    expect(await page.content()).not.to.contain(SECRET);
    await checkPage(page, 'webhooks-app');

    await page.click('table.deliveries button:has-text("Redeliver")');
    expect(await page.textContent('[role=status]')).to.contain('The delivery is sent again.');
    const both = await receiver.waitFor((r) => r.headers['x-appshelf-event'] === 'listed', 2);
    expect(both[1]!.body).to.equal(both[0]!.body);
  });

  it("opens the namespace's webhooks page from My store", async () => {
    await page.goto(`${srv.url}/my`);
    await page.click('a:has-text("Webhooks of brina")');
    expect(new URL(page.url()).pathname).to.equal('/my/namespaces/brina/webhooks');
    expect(await page.textContent('h1')).to.equal('Webhooks of brina');
    await checkPage(page, 'webhooks-namespace');
    expect(problems).to.deep.equal([]);
  });
});
