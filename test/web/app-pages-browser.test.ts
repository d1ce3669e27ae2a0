/**
 * An app's pages in a real browser (Debian's chromium via playwright-core): every tab and a
 * version's page at 1280 and 375 px, light and dark, with axe-core (no serious or critical
 * violations), no sideways scrolling on a phone (long commands and code scroll inside their
 * blocks), tabs reached and followed with the keyboard, and copy buttons that copy whole commands.
 * Screenshots go to test/artifacts/screenshots/ (app-<page>-<width>.png, dark ones app-<page>-dark-…).
 */
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { publishSampleApps } from './app-fixture.js';
import { axeViolations } from './axe.js';
import {
  atWidth,
  findChromium,
  launchBrowser,
  screenshots,
  watchProblems,
  type TestBrowser,
} from './browser.js';

const PAGES = [
  ['overview', '/apps/acme/shop'],
  ['versions', '/apps/acme/shop/versions'],
  ['version', '/apps/acme/shop/versions/1.0'],
  ['components', '/apps/acme/shop/components'],
  ['components-wordpress', '/apps/acme/wordpress/components'],
  ['template', '/apps/acme/shop/template'],
] as const;

describe('web: an app’s pages in a browser', function () {
  this.timeout(180_000);
  let srv: TestServer;
  let browser: TestBrowser | undefined;
  let page: Page;
  const problems: string[] = [];

  before(async function () {
    const chromium = findChromium();
    if (!chromium) return this.skip(); // outside CI only: findChromium throws in CI
    srv = await startTestServer();
    await publishSampleApps(srv);
    browser = await launchBrowser(chromium);
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], {
      origin: srv.url,
    });
    page = browser.page;
    watchProblems(page, problems);
  });

  after(async () => {
    await browser?.close();
    await srv?.close();
  });

  afterEach(() => {
    expect(problems, 'script errors and CSP reports').to.deep.equal([]);
  });

  for (const scheme of ['light', 'dark'] as const)
    for (const [name, path] of PAGES)
      it(`shows ${name} (${scheme}) at 1280 and 375 px without serious a11y violations`, async () => {
        await page.emulateMedia({ colorScheme: scheme });
        const res = await page.goto(srv.url + path);
        expect(res?.status(), path).to.equal(200);
        await screenshots(page, scheme === 'dark' ? `app-${name}-dark` : `app-${name}`);
        for (const width of [1280, 375])
          await atWidth(page, width, async () => {
            const where = `${path} at ${width} px (${scheme})`;
            expect(await axeViolations(page), where).to.deep.equal([]);
            if (width === 375)
              expect(
                await page.evaluate<number>('document.documentElement.scrollWidth'),
                `${where}: wider than the phone`,
              ).to.be.at.most(375);
            if (width === 375)
              expect(
                await page.evaluate<number>(
                  `Math.max(...[...document.querySelectorAll('.tabs a')].map((a) => a.getBoundingClientRect().right))`,
                ),
                `${where}: every tab in sight`,
              ).to.be.at.most(375);
          });
        await page.emulateMedia({ colorScheme: 'light' });
      });

  it('follows the dark system setting', async () => {
    await page.goto(`${srv.url}/apps/acme/shop`);
    const light = await page.evaluate<string>(
      'getComputedStyle(document.documentElement).backgroundColor',
    );
    await page.emulateMedia({ colorScheme: 'dark' });
    const dark = await page.evaluate<string>(
      'getComputedStyle(document.documentElement).backgroundColor',
    );
    await page.emulateMedia({ colorScheme: 'light' });
    expect(light).to.equal('rgb(255, 255, 255)');
    expect(dark).not.to.equal(light);
  });

  it('reaches and follows the tabs with the keyboard', async () => {
    await page.goto(`${srv.url}/apps/acme/shop`);
    let focused = '';
    for (let i = 0; i < 40 && focused !== 'Components'; i++) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate<string>(
        `document.activeElement?.closest('.tabs') ? document.activeElement.textContent : ''`,
      );
    }
    expect(focused, 'the Components tab takes the focus').to.equal('Components');
    await page.keyboard.press('Enter');
    await page.waitForURL(`${srv.url}/apps/acme/shop/components`);
    expect(await page.textContent('.tabs [aria-current="page"]')).to.equal('Components');
  });

  it('copies whole commands, which scroll inside their box on a phone instead of breaking', async () => {
    await page.goto(`${srv.url}/apps/acme/shop`);
    const command = `appshelf install ${srv.host}/acme/shop:1.1`;
    await page.click('button[data-copy="copy-cli"]');
    expect(await page.evaluate<string>('navigator.clipboard.readText()')).to.equal(command);
    await page.click('button[data-copy="copy-oras"]');
    expect(await page.evaluate<string>('navigator.clipboard.readText()')).to.equal(
      `oras pull ${srv.host}/acme/shop:1.1`,
    );
    await atWidth(page, 375, async () => {
      const box = await page.evaluate<{ white: string; lines: number; scrolls: boolean }>(`(() => {
        const pre = document.querySelector('pre.copy-text:has(#copy-cli)');
        const line = parseFloat(getComputedStyle(pre).lineHeight) || 20;
        const code = pre.querySelector('code');
        return { white: getComputedStyle(pre).whiteSpace, lines: Math.round(code.getBoundingClientRect().height / line),
          scrolls: pre.scrollWidth > pre.clientWidth };
      })()`);
      expect(box).to.deep.equal({ white: 'pre', lines: 1, scrolls: true });
    });
  });

  it('switches the install commands with the version selector', async () => {
    await page.goto(`${srv.url}/apps/acme/shop`);
    expect(await page.isHidden('.version-pick button[data-noscript-only]')).to.equal(true);
    await Promise.all([
      page.waitForURL(/version=1\.0/),
      page.selectOption('#install-version', '1.0'),
    ]);
    expect(await page.textContent('#copy-cli')).to.equal(
      `appshelf install ${srv.host}/acme/shop:1.0`,
    );
  });
});
