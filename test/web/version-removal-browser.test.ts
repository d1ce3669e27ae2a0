/**
 * Deleting a version in a real browser (issue 16 §2): the Delete link opens a page that says
 * first what else changes (the package that covers only this version goes, the app leaves the
 * shelf with its last package), "Keep it" changes nothing, and confirming deletes the version.
 * The page is checked as every page is (labels, axe-core at both widths, no sideways scrolling)
 * and kept as screenshots (test/artifacts/screenshots/version-removal-*).
 */
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { api } from '../helpers/accounts.js';
import { shelvedApp } from '../helpers/shelved-app.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { findChromium, launchBrowser, watchProblems, type TestBrowser } from './browser.js';
import { checkPage } from './page-checks.js';

describe('web: deleting a version says first what else changes', function () {
  this.timeout(180_000);
  let srv: TestServer;
  let browser: TestBrowser | undefined;
  let page: Page;
  let session = '';
  const problems: string[] = [];
  const onShelf = async (): Promise<boolean> =>
    (await api<{ onShelf: boolean }>(srv, 'GET', '/api/v1/apps/olga/shop', { bearer: session }))
      .body.onShelf;

  before(async function () {
    const chromium = findChromium();
    if (!chromium) return this.skip(); // outside CI only: findChromium throws in CI
    srv = await startTestServer();
    session = await shelvedApp(srv, { phone: '+4915112349401', user: 'olga' }, 'shop', [
      '1.0.0',
      '2.0.0',
    ]);
    browser = await launchBrowser(chromium);
    page = browser.page;
    // The last test's own 404 and the refused package name's 400 are the answers allowed to fail.
    watchProblems(page, problems, (m) =>
      /the server responded with a status of 40[04]/.test(m.text()),
    );
    await browser.context.addCookies([{ name: 'appshelf_session', value: session, url: srv.url }]);
  });

  after(async () => {
    await browser?.close();
    await srv?.close();
  });

  afterEach(() => {
    expect(problems, 'script errors and CSP reports').to.deep.equal([]);
  });

  it('names the package that goes and the shelf the app leaves; "Keep it" changes nothing', async () => {
    expect(await onShelf()).to.equal(true);
    await page.goto(`${srv.url}/my/apps/olga/shop`);
    await page.click('a:has-text("Delete 1.0.0")');
    expect(await page.textContent('h1')).to.equal('Delete version 1.0.0?');
    const changes = (await page.textContent('ul.consequences')) ?? '';
    expect(changes)
      .to.contain('The package first covers only this version: it is deleted.')
      .and.contain('The app leaves the shelf');
    await checkPage(page, 'version-removal-consequences');
    await page.click('a:text-is("Keep it")');
    expect(new URL(page.url()).pathname).to.equal('/my/apps/olga/shop');
    expect(await onShelf()).to.equal(true);
  });

  it('says when nothing else changes', async () => {
    await page.goto(`${srv.url}/my/apps/olga/shop/versions/2.0.0/delete`);
    expect(await page.textContent('#changes-h + p')).to.contain('Nothing else');
    await checkPage(page, 'version-removal-nothing-else');
  });

  it('makes a package of both versions from the form; a deletion then only shrinks it', async () => {
    await page.goto(`${srv.url}/my/apps/olga/shop`);
    await page.check('input[name=versions][value="2.0.0"]');
    await page.check('input[name=versions][value="1.0.0"]');
    await page.fill('#pkg-name', 'bad name!');
    await page.click('button:text-is("Create package")');
    expect(await page.textContent('.notice.error')).to.contain('a package name is 1-64 letters');
    await page.check('input[name=versions][value="1.0.0"]');
    await page.fill('#pkg-name', 'both');
    await page.click('button:text-is("Create package")');
    expect(await page.textContent('ul.packages'))
      .to.contain('both')
      .and.contain('2.0.0, 1.0.0');
    await page.goto(`${srv.url}/my/apps/olga/shop/versions/2.0.0/delete`);
    expect(await page.textContent('ul.consequences')).to.contain(
      'The package both loses it and keeps 1 version: 1.0.0.',
    );
  });

  it('deletes on confirmation: the version and the package of it alone; the shelf stays', async () => {
    await page.goto(`${srv.url}/my/apps/olga/shop/versions/1.0.0/delete`);
    await page.click('button:text-is("Delete version 1.0.0")');
    expect(await page.textContent('[role=status]')).to.contain('The version is deleted.');
    const versions = await api<{ versions: { version: string }[] }>(
      srv,
      'GET',
      '/api/v1/apps/olga/shop/versions',
      { bearer: session },
    );
    expect(versions.body.versions.map((v) => v.version)).to.deep.equal(['2.0.0']);
    expect(await page.textContent('ul.packages')).to.not.contain('first');
    expect(await onShelf()).to.equal(true); // the package "both" still covers 2.0.0
  });

  it('answers an unknown version with the not-found page', async () => {
    const res = await page.goto(`${srv.url}/my/apps/olga/shop/versions/9.9.9/delete`);
    expect(res?.status()).to.equal(404);
  });
});
