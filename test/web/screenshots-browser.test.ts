/**
 * Screenshots in a real browser (issue 16 §1, §2): the owner adds two on the app's management
 * page (one with a caption), sees them there as the preview, a file that is no image is refused
 * on the page; the Overview tab shows them as a gallery that scrolls inside its own box (never the
 * page, at 375 px too) with the captions as text alternatives; removing one takes it off both.
 * Pages checked as every page is, kept as screenshots (screenshots-*).
 */
import { expect } from 'chai';
import type { Page } from 'playwright-core';

import { shelvedApp } from '../helpers/shelved-app.js';
import { pngImage } from '../helpers/png.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { findChromium, launchBrowser, watchProblems, type TestBrowser } from './browser.js';
import { checkPage } from './page-checks.js';

describe('web: screenshots of an app in a browser', function () {
  this.timeout(180_000);
  let srv: TestServer;
  let browser: TestBrowser | undefined;
  let page: Page;
  const problems: string[] = [];
  const manage = () => page.goto(`${srv.url}/my/apps/olga/shop`);

  before(async function () {
    const chromium = findChromium();
    if (!chromium) return this.skip(); // outside CI only: findChromium throws in CI
    srv = await startTestServer();
    const owner = await shelvedApp(srv, { phone: '+4915112349801', user: 'olga' }, 'shop');
    browser = await launchBrowser(chromium);
    page = browser.page;
    // The refused upload below is the one answer allowed to be a 400.
    watchProblems(page, problems, (m) =>
      m.text().includes('the server responded with a status of 400'),
    );
    page.on('dialog', (d) => void d.accept()); // the remove button's confirmation
    await browser.context.addCookies([{ name: 'appshelf_session', value: owner, url: srv.url }]);
  });

  after(async () => {
    await browser?.close();
    await srv?.close();
  });

  afterEach(() => {
    expect(problems, 'script errors and CSP reports').to.deep.equal([]);
  });

  it('adds screenshots on the management page, shown there as the preview', async () => {
    await manage();
    for (const [name, rgb, caption] of [
      ['dashboard.png', [30, 110, 190], 'The dashboard with three charts'],
      ['settings.png', [190, 80, 40], ''],
    ] as const) {
      await page.setInputFiles('#screenshot', {
        name,
        mimeType: 'image/png',
        buffer: pngImage(1200, 750, { rgb: [...rgb] }),
      });
      await page.fill('#caption', caption);
      await page.click('button:text-is("Add the screenshot")');
      expect(await page.textContent('[role=status]')).to.contain('screenshot is added');
    }
    expect(await page.locator('ul.shot-list img').count()).to.equal(2);
    await page.setInputFiles('#screenshot', {
      name: 'notes.png',
      mimeType: 'image/png',
      buffer: Buffer.from('not an image at all'),
    });
    await page.click('button:text-is("Add the screenshot")');
    expect(await page.textContent('.notice.error')).to.contain('PNG, JPEG or WebP');
    await checkPage(page, 'screenshots-manage');
  });

  it('shows them on the Overview tab as a gallery that scrolls inside its box', async () => {
    await page.goto(`${srv.url}/apps/olga/shop`);
    const alts = await page.evaluate<[string, number][]>(
      `[...document.querySelectorAll('.gallery img')].map((i) => [i.alt, i.naturalWidth])`,
    );
    expect(alts).to.deep.equal([
      ['The dashboard with three charts', 1200],
      ['Screenshot 2 of shop', 1200],
    ]);
    expect(await page.textContent('.gallery figcaption')).to.equal(
      'The dashboard with three charts',
    );
    await checkPage(page, 'screenshots-overview');
  });

  it('removes one: gone from the management page and the Overview tab', async () => {
    await manage();
    await page.click('button:has-text("Remove")');
    expect(await page.textContent('[role=status]')).to.contain('screenshot is removed');
    await page.goto(`${srv.url}/apps/olga/shop`);
    expect(await page.locator('.gallery img').count()).to.equal(1);
  });
});
