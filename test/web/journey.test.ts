/**
 * The web, in a real browser (Debian's chromium via playwright-core) against a real server: a
 * newcomer signs in with a code, makes an access key, pushes an app with it, describes it, gives
 * it a logo and a package, puts it on the shelf, finds it from the home page, watches its
 * installs move (its own visits do not count), and opens the publisher page; then, signed out, sees only listed apps.
 * Each page is saved as screenshots at 1280 and 375 px (test/artifacts/screenshots/).
 */
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { api, codeFromLogs, loginWithPhone } from '../helpers/accounts.js';
import { TestRegistryClient } from '../helpers/registry-client.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { findChromium, launchBrowser, type TestBrowser } from './browser.js';
import { checkPage as checkPageHolds } from './page-checks.js';
import { pushApp } from './push-app.js';

const PHONE = '+4915112340201';
const LOGO = Buffer.from(
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="12" fill="#2a7"/><circle cx="32" cy="32" r="14" fill="#fff"/></svg>',
);
const INTRO =
  '# Notes\n\nTake **notes** anywhere.\n\n<script>window.pwned = 1</script>\n\n[bad link](javascript:alert(1)) and [good link](https://notes.example)';

/** Title and description of the page, then what every page must hold (page-checks.ts). */
async function checkPage(page: Page, name: string): Promise<void> {
  const title = await page.title();
  expect(title, name).to.match(/appshelf/);
  expect(await page.getAttribute('meta[name="description"]', 'content'), name)
    .to.be.a('string')
    .and.not.equal('');
  await checkPageHolds(page, name);
}

const statOf = (page: Page, stat: string): Promise<string | null> =>
  page.textContent(`[data-stat="${stat}"]`);

describe('web: a newcomer publishes an app and a visitor finds it', function () {
  this.timeout(120_000);
  let srv: TestServer;
  let browser: TestBrowser | undefined;
  let page: Page;
  let secret = '';
  const problems: string[] = [];

  before(async function () {
    const chromium = findChromium();
    if (!chromium) return this.skip(); // outside CI only: findChromium throws in CI
    srv = await startTestServer();
    browser = await launchBrowser(chromium);
    page = browser.page;
    // Pages answered with 4xx on purpose (a refused form, the 404 page) log "Failed to load resource";
    // failed subresources are caught by the response listener instead.
    page.on(
      'console',
      (m) =>
        void (
          m.type() === 'error' &&
          !m.text().startsWith('Failed to load resource') &&
          problems.push(m.text())
        ),
    );
    page.on(
      'response',
      (r) =>
        void (
          r.request().resourceType() !== 'document' &&
          r.status() >= 400 &&
          problems.push(`${r.status()} for ${r.url()}`)
        ),
    );
    page.on('pageerror', (e) => void problems.push(e.message));
    page.on(
      'request',
      (r) =>
        void (
          !r.url().startsWith(srv.url) &&
          !r.url().startsWith('data:') &&
          problems.push(`request to ${r.url()}`)
        ),
    );
  });

  after(async () => {
    await browser?.close();
    await srv?.close();
  });

  it('signs in with a phone code, as a new user choosing a name', async () => {
    await page.goto(`${srv.url}/login`);
    await checkPage(page, 'login');
    await page.fill('#phone', 'not a phone');
    await page.click('button:has-text("Send code")');
    expect(await page.textContent('[role=alert]')).to.match(/phone must be a valid number/);
    await page.fill('#phone', PHONE);
    await page.click('button:has-text("Send code")');
    expect(await page.textContent('[role=status]')).to.contain(PHONE);
    expect(await page.isDisabled('button[data-countdown]'), 'resend waits').to.equal(true);
    await page.fill('#code', '000000');
    await page.click('button:has-text("Sign in")');
    expect(await page.textContent('[role=alert]')).to.match(/wrong or used code/);
    await checkPage(page, 'login-code');
    await page.fill('#code', codeFromLogs(srv, PHONE));
    await page.fill('#name', 'newbie');
    await page.click('button:has-text("Sign in")');
    expect(new URL(page.url()).pathname).to.equal('/my/profile');
    await page.fill('#displayName', 'New Bee');
    await page.fill('#bio', 'I package apps.');
    await page.click('button:has-text("Save")');
    expect(await page.textContent('[role=status]')).to.contain('saved');
    await checkPage(page, 'profile');
  });

  it('creates an access key whose secret is shown once', async () => {
    await page.goto(`${srv.url}/my/keys`);
    await page.fill('#key-name', 'laptop');
    await page.check('input[name=scopes][value=push]');
    await page.click('button:has-text("Create key")');
    secret = (await page.textContent('[data-secret]'))!.trim();
    expect(secret).to.match(/^ask_/);
    expect(
      await page.isVisible('button.copy[data-copy="new-key"]'),
      'copy button (script ran)',
    ).to.equal(true);
    await checkPage(page, 'key-created');
    await page.goto(`${srv.url}/my/keys`);
    expect(await page.content()).not.to.contain(secret);
    expect(await page.textContent('table')).to.contain('laptop');
  });

  it('refuses a form post without the CSRF token or from another site', async () => {
    const cookie = (await browser!.context.cookies(srv.url))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
    const post = (headers: Record<string, string>, body: string) =>
      fetch(`${srv.url}/my/keys`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body,
      });
    expect((await post({}, 'name=x&scopes=read')).status).to.equal(403);
    expect((await post({}, 'name=x&scopes=read&_csrf=forged')).status).to.equal(403);
    const token = await page.getAttribute('input[name=_csrf]', 'value');
    expect(
      (await post({ origin: 'https://evil.example' }, `name=x&scopes=read&_csrf=${token}`)).status,
    ).to.equal(403);
    expect(
      (await post({}, `name=x&scopes=read&_csrf=${token}`)).status,
      'the real token works',
    ).to.equal(200);
  });

  it('pushes two apps with the key; edits one: introduction with preview, logo, package, shelf', async () => {
    const reg = new TestRegistryClient(srv.url, { username: 'newbie', password: secret });
    await pushApp(reg, 'newbie/notes', '1.0.0');
    await pushApp(reg, 'newbie/hidden-tool', '0.1.0');
    await page.goto(`${srv.url}/my`);
    expect(await page.textContent('.my-apps'))
      .to.contain('newbie/notes')
      .and.contain('newbie/hidden-tool');
    await checkPage(page, 'my-store');
    await page.click('a:has-text("notes")');
    expect(new URL(page.url()).pathname).to.equal('/my/apps/newbie/notes');
    await page.fill('#displayName', 'Notes Pro');
    await page.fill('#summary', 'Take notes anywhere, in any cluster.');
    await page.fill('#introduction', INTRO);
    await page.fill('#tags', 'notes, productivity');
    await page.fill('#categories', 'office');
    await page.fill('#homeUrl', 'https://notes.example');
    await page.click('button:has-text("Preview the introduction")');
    expect(await page.textContent('.preview .markdown')).to.contain('Take notes anywhere');
    expect(await page.inputValue('#introduction')).to.equal(INTRO);
    await page.click('button:has-text("Save")');
    expect(await page.textContent('[role=status]')).to.equal('Saved.');
    await page.setInputFiles('#logo', {
      name: 'logo.svg',
      mimeType: 'image/svg+xml',
      buffer: LOGO,
    });
    await page.click('button:has-text("Upload the logo")');
    expect(await page.textContent('[role=status]')).to.contain('logo');
    await page.check('input[name=versions][value="1.0.0"]');
    await page.click('button:has-text("Create package")');
    expect(await page.textContent('.packages')).to.contain('1.0.0');
    await page.click('button:has-text("Put it on the shelf")');
    expect(await page.textContent('.badge.ok')).to.equal('on the shelf');
    await checkPage(page, 'manage-app');
  });

  it('finds the app from the home page search and sees its page count an install, not its own visit', async () => {
    await page.goto(srv.url);
    await checkPage(page, 'home');
    await page.fill('#home-q', 'notes');
    await page.press('#home-q', 'Enter');
    await page.waitForURL(/\/search\?q=notes/);
    expect(await page.textContent('.cards')).to.contain('Notes Pro');
    // The facets are filters: each value links to the search narrowed to it, with its count.
    const publisher = page.locator('aside.filters li:has(a:text-is("newbie"))');
    expect(await publisher.locator('.n').textContent()).to.equal('1');
    expect(await page.textContent('aside.filters')).to.contain('Architectures');
    await publisher.locator('a').click();
    await page.waitForURL(/publisher=newbie/);
    expect(await page.textContent('.result-count')).to.contain('publisher: newbie');
    await checkPage(page, 'search');
    await page.click('.cards a:has-text("Notes Pro")');
    expect(new URL(page.url()).pathname).to.equal('/apps/newbie/notes');
    // The publisher looking at their own app is no visitor.
    expect([await statOf(page, 'visits'), await statOf(page, 'installs')]).to.deep.equal([
      '0',
      '0',
    ]);
    const markdown = await page.innerHTML('.markdown');
    expect(markdown)
      .to.contain('<h2>Notes</h2>')
      .and.contain('<strong>notes</strong>')
      .and.contain('href="https://notes.example"');
    expect(markdown).not.to.contain('<script').and.not.to.contain('href="javascript:');
    expect(await page.evaluate('window.pwned')).to.equal(undefined);
    expect(await page.textContent('.install')).to.contain(
      `appshelf install ${srv.host}/newbie/notes:1.0.0`,
    );
    expect(await page.getAttribute('img.logo', 'src')).to.equal('/api/v1/apps/newbie/notes/logo');
    expect(
      await page.evaluate<boolean>(`document.querySelector('img.logo').naturalWidth > 0`),
      'logo shows',
    ).to.equal(true);
    expect(await page.isVisible('.chart svg')).to.equal(true);
    await checkPage(page, 'app');
    const install = await fetch(`${srv.url}/api/v1/apps/newbie/notes/versions/1.0.0/install`, {
      headers: { authorization: `Bearer ${secret}` },
    });
    expect(install.status).to.equal(200);
    await page.reload();
    expect(
      [await statOf(page, 'visits'), await statOf(page, 'installs')],
      "the owner's visit still not counted; the install is",
    ).to.deep.equal(['0', '1']);
  });

  it('opens the publisher page with the profile and the apps', async () => {
    await page.click('.app-by a');
    expect(new URL(page.url()).pathname).to.equal('/publishers/newbie');
    expect(await page.textContent('h1')).to.equal('New Bee');
    expect(await page.textContent('.bio')).to.equal('I package apps.');
    expect(await page.textContent('.cards'))
      .to.contain('Notes Pro')
      .and.contain('hidden-tool');
    await checkPage(page, 'publisher');
  });

  it('lets an administrator dry-run GC, read the audit log and disable a user', async () => {
    const promoted = await api(srv, 'PATCH', '/api/v1/admin/users/newbie', {
      bearer: ADMIN_KEY,
      body: { role: 'admin' },
    });
    expect(promoted.status, promoted.text).to.equal(200);
    const other = await loginWithPhone(srv, '+4915112340202', 'other');
    await page.goto(`${srv.url}/admin`);
    await page.click('button:has-text("Dry run")');
    expect(await page.textContent('.report')).to.contain('Would free');
    await page.click('nav[aria-label="Administration"] a:text-is("Audit log")');
    expect(await page.textContent('table.audit'))
      .to.contain('app.updated')
      .and.contain('key.created');
    await checkPage(page, 'journey-admin-audit');
    await page.click('nav[aria-label="Administration"] a:text-is("Users")');
    page.once('dialog', (d) => void d.accept());
    await page.click('button:has-text("Disable other")');
    expect(await page.textContent('tr:has(a:text-is("other"))')).to.contain('disabled');
    expect(
      (await api(srv, 'GET', '/api/v1/users/me', { bearer: other.token })).status,
      'their session ended',
    ).to.equal(401);
    await checkPage(page, 'journey-admin-users');
  });

  it('shows an anonymous visitor only listed apps, and counts their visit', async () => {
    await page.click('button:has-text("Sign out")');
    expect(await page.isVisible('a:has-text("Sign in")')).to.equal(true);
    await page.goto(`${srv.url}/search`);
    const results = await page.textContent('.cards');
    expect(results).to.contain('Notes Pro').and.not.contain('hidden-tool');
    await page.goto(`${srv.url}/publishers/newbie`);
    expect(await page.textContent('.cards')).not.to.contain('hidden-tool');
    const hidden = await page.goto(`${srv.url}/apps/newbie/hidden-tool`);
    expect(hidden?.status()).to.equal(404);
    await checkPage(page, 'not-found');
    await page.goto(`${srv.url}/apps/newbie/notes`);
    expect(await statOf(page, 'visits')).to.equal('1');
    const my = await page.goto(`${srv.url}/my`);
    expect(new URL(my!.url()).pathname).to.equal('/login');
  });

  it('met no script error, CSP violation or outside request on the way', () => {
    expect(problems).to.deep.equal([]);
  });
});
