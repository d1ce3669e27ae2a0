/**
 * Badges and feeds in a real browser (Debian's chromium via playwright-core): the app page's
 * head names its Atom feed, its overview shows the badge (the image loads) and the markdown
 * snippet that copies whole, with axe-core at 1280 and 375 px in light and dark; the publisher
 * page names its feed; and chromium's own XML parser reads the feeds and a hostile badge without
 * an error (a second, independent well-formedness check beside test/helpers/xml.ts).
 * Screenshots: test/artifacts/screenshots/app-badge-feed-<width>.png (and -dark-).
 */
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { axeViolations } from './axe.js';
import {
  atWidth,
  findChromium,
  launchBrowser,
  screenshots,
  watchProblems,
  type TestBrowser,
} from './browser.js';
import { HOSTILE_NOTES, publishFeedApps } from './feed-fixture.js';

describe('web: badges and feeds in a browser', function () {
  this.timeout(180_000);
  let srv: TestServer;
  let browser: TestBrowser | undefined;
  let page: Page;
  const problems: string[] = [];

  before(async function () {
    const chromium = findChromium();
    if (!chromium) return this.skip(); // outside CI only: findChromium throws in CI
    srv = await startTestServer();
    await publishFeedApps(srv);
    browser = await launchBrowser(chromium);
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], {
      origin: srv.url,
    });
    page = browser.page;
    // A document that is no page (a badge opened on its own) makes chromium ask for /favicon.ico.
    watchProblems(page, problems, (m) => m.location().url.endsWith('/favicon.ico'));
  });

  after(async () => {
    await browser?.close();
    await srv?.close();
  });

  afterEach(() => {
    expect(problems, 'script errors and CSP reports').to.deep.equal([]);
  });

  for (const scheme of ['light', 'dark'] as const)
    it(`shows the badge and the feed on the overview (${scheme}) without serious a11y violations`, async () => {
      await page.emulateMedia({ colorScheme: scheme });
      const res = await page.goto(`${srv.url}/apps/pubby/tool`);
      expect(res?.status()).to.equal(200);
      expect(
        await page.getAttribute('head link[rel="alternate"][type="application/atom+xml"]', 'href'),
      ).to.equal(`${srv.url}/apps/pubby/tool/feed.atom`);
      await page.locator('#badge-h').scrollIntoViewIfNeeded();
      const img = await page.evaluate<{ complete: boolean; width: number }>(`(() => {
        const img = document.querySelector('img.badge-preview');
        return { complete: img.complete, width: img.naturalWidth };
      })()`);
      expect(img.complete).to.equal(true);
      expect(img.width, 'the badge image loaded').to.be.greaterThan(40);
      await screenshots(page, scheme === 'dark' ? 'app-badge-feed-dark' : 'app-badge-feed');
      for (const width of [1280, 375])
        await atWidth(page, width, async () => {
          const where = `/apps/pubby/tool at ${width} px (${scheme})`;
          expect(await axeViolations(page), where).to.deep.equal([]);
          if (width === 375)
            expect(
              await page.evaluate<number>('document.documentElement.scrollWidth'),
              `${where}: wider than the phone`,
            ).to.be.at.most(375);
        });
      await page.emulateMedia({ colorScheme: 'light' });
    });

  it('copies the whole badge markdown', async () => {
    await page.goto(`${srv.url}/apps/pubby/tool`);
    await page.click('button[data-copy="copy-badge-markdown"]');
    const copied = await page.evaluate<string>('navigator.clipboard.readText()');
    expect(copied).to.match(
      new RegExp(
        `^\\[!\\[.* on appshelf\\]\\(${srv.url}/apps/pubby/tool/badge\\.svg\\)\\]\\(${srv.url}/apps/pubby/tool\\)$`,
      ),
    );
  });

  it('names the publisher’s feed in the publisher page’s head', async () => {
    await page.goto(`${srv.url}/publishers/pubby`);
    expect(
      await page.getAttribute('head link[rel="alternate"][type="application/atom+xml"]', 'href'),
    ).to.equal(`${srv.url}/publishers/pubby/feed.atom`);
  });

  it('parses the feeds and a hostile badge with chromium’s XML parser', async () => {
    await page.goto(`${srv.url}/apps/pubby/tool`);
    const label = encodeURIComponent(`<svg onload=alert(1)> & ]]> "'`);
    for (const path of [
      '/apps/pubby/tool/feed.atom',
      '/publishers/pubby/feed.atom',
      `/apps/pubby/tool/badge.svg?label=${label}`,
    ]) {
      const read = await page.evaluate<{
        errors: number;
        root: string;
        ns: string | null;
        text: string;
      }>(
        `fetch(${JSON.stringify(path)}).then((r) => r.text()).then((t) => {
          const doc = new DOMParser().parseFromString(t, 'application/xml');
          return { errors: doc.getElementsByTagName('parsererror').length,
            root: doc.documentElement.localName, ns: doc.documentElement.namespaceURI,
            text: doc.documentElement.textContent };
        })`,
      );
      expect(read.errors, path).to.equal(0);
      if (path.endsWith('.atom')) {
        expect([read.root, read.ns]).to.deep.equal(['feed', 'http://www.w3.org/2005/Atom']);
        expect(read.text, 'the notes as text').to.contain(HOSTILE_NOTES.replace('\u0001', ''));
      } else expect([read.root, read.ns]).to.deep.equal(['svg', 'http://www.w3.org/2000/svg']);
    }
  });

  it('shows a badge opened on its own as an image, not a page', async () => {
    const res = await page.goto(`${srv.url}/apps/pubby/tool/badge.svg`);
    expect(res?.headers()['content-type']).to.equal('image/svg+xml; charset=utf-8');
    expect(await page.evaluate<string>('document.documentElement.namespaceURI')).to.equal(
      'http://www.w3.org/2000/svg',
    );
    expect(await page.evaluate<string>('document.title')).to.equal('appshelf: 1.10.0');
  });
});
