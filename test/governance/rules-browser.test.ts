/**
 * The rules page in a real browser (Debian's chromium via playwright-core): an owner opens it from
 * My store, sets a tag pattern and retention rules through the forms, sees a dry run's listing
 * (the listed and the packaged version flagged), runs the rules now (accepting the confirmation)
 * and reads what went and what GC freed; then turns on immutable versions, and a re-push of a
 * version's tag through the registry is refused with DENIED. Each state of the page passes
 * axe-core at 1280 and 375 px, keeps every field labelled and fits the phone; screenshots in
 * test/artifacts/screenshots/ (rules-*.png).
 */
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { api, codeFromLogs, TestClock } from '../helpers/accounts.js';
import { TestRegistryClient } from '../helpers/registry-client.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { findChromium, launchBrowser, watchProblems, type TestBrowser } from '../web/browser.js';
import { checkPage } from '../web/page-checks.js';
import { pushApp } from '../web/push-app.js';

const PHONE = '+4915112342101';
const HOUR = 3_600_000;

/** The rows of the table `selector` as cell texts. */
function rowsOf(page: Page, selector: string): Promise<string[][]> {
  return page.$$eval(`${selector} tbody tr`, (rows) =>
    rows.map((r) =>
      [...r.querySelectorAll('th, td')].map((c) =>
        (c.textContent ?? '').replace(/\s+/g, ' ').trim(),
      ),
    ),
  );
}

describe('governance: the rules page in a browser', function () {
  this.timeout(120_000);
  const clock = new TestClock();
  let srv: TestServer;
  let browser: TestBrowser | undefined;
  let page: Page;
  const problems: string[] = [];
  const admin = () => new TestRegistryClient(srv.url, { username: 'admin', password: ADMIN_KEY });

  before(async function () {
    const chromium = findChromium();
    if (!chromium) return this.skip(); // outside CI only: findChromium throws in CI
    srv = await startTestServer({ registry: { gc: { graceSeconds: 60 } } } as never, {
      clock: clock.now,
    });
    browser = await launchBrowser(chromium);
    page = browser.page;
    watchProblems(page, problems);
    await page.goto(`${srv.url}/login`);
    await page.fill('#phone', PHONE);
    await page.click('button:has-text("Send code")');
    await page.fill('#code', codeFromLogs(srv, PHONE));
    await page.fill('#name', 'brina');
    await page.click('button:has-text("Sign in")');
    for (const v of ['1.0.0', '1.1.0', '2.0.0', '2.1.0']) await pushApp(admin(), 'brina/web', v);
    const pkg = await api(srv, 'POST', '/api/v1/apps/brina/web/packages', {
      bearer: ADMIN_KEY,
      body: { name: 'stable', versions: ['1.0.0'] },
    });
    expect(pkg.status, pkg.text).to.equal(201);
    const shelf = await api(srv, 'PUT', '/api/v1/apps/brina/web/shelf', {
      bearer: ADMIN_KEY,
      body: { listed: true },
    });
    expect(shelf.status, shelf.text).to.equal(200);
  });
  after(async () => {
    await browser?.close();
    await srv?.close();
  });
  afterEach(() => expect(problems, 'script errors and CSP reports').to.deep.equal([]));

  it('opens from My store and saves the rules through its forms', async () => {
    await page.goto(`${srv.url}/my`);
    await page.click('a:has-text("Rules of brina")');
    expect(new URL(page.url()).pathname).to.equal('/my/namespaces/brina/rules');
    expect(await page.textContent('h1')).to.equal('Rules of brina');
    await checkPage(page, 'rules-empty');

    await page.fill('#imm-patterns', 'v*, release-?');
    await page.click('button:has-text("Save the immutability rules")');
    expect(await page.textContent('[role=status]')).to.contain('immutability rules are saved');
    await page.fill('#ret-keepNewest', '1');
    await page.fill('#ret-untaggedHours', '1');
    await page.click('button:has-text("Save the retention rules")');
    expect(await page.textContent('[role=status]')).to.contain('retention rules are saved');
    expect(await page.inputValue('#ret-keepNewest')).to.equal('1');
    expect(await page.inputValue('#imm-patterns')).to.equal('v*, release-?');

    await page.fill('#ret-keepNewest', '0'); // the browser's own check lets the server's show
    await page.$eval('form[action$="/retention"]', (f) => f.setAttribute('novalidate', ''));
    await page.click('button:has-text("Save the retention rules")');
    expect(await page.textContent('[role=alert]')).to.contain('keepNewest');
    // The refused form's page comes with its 400, which chromium logs as a failed load.
    const loads = problems.filter((p) => p.includes('status of 400'));
    expect(loads).to.have.length(1);
    problems.splice(problems.indexOf(loads[0]!), 1);
    await checkPage(page, 'rules-error');
  });

  it('lists a dry run: what would go and why, the listed and packaged versions flagged', async () => {
    await page.goto(`${srv.url}/my/namespaces/brina/rules`);
    await page.click('button:has-text("Dry run")');
    expect(await rowsOf(page, 'table.plan-removed')).to.deep.equal([
      ['brina/web:2.0.0', 'not among the 1 newest', (await digestOf('2.0.0')).slice(0, 19)],
      ['brina/web:1.1.0', 'not among the 1 newest', (await digestOf('1.1.0')).slice(0, 19)],
    ]);
    expect(await rowsOf(page, 'table.plan-kept')).to.deep.equal([
      ['brina/web:2.1.0', 'among the 1 newest listed'],
      ['brina/web:1.0.0', 'in package stable'],
    ]);
    expect(
      await page.$$eval('table.plan-kept .badge.ok', (b) => b.map((e) => e.textContent)),
    ).to.deep.equal(['listed', 'in package stable']);
    await checkPage(page, 'rules-dry-run');
    expect((await admin().request('GET', '/v2/brina/web/manifests/1.1.0')).status).to.equal(200);
  });

  it('runs now and shows what went and the bytes freed', async () => {
    clock.advance(2 * HOUR); // past GC's grace period
    page.once('dialog', (d) => void d.accept());
    await page.click('button:has-text("Run now")');
    expect(await page.textContent('[role=status]')).to.contain('The retention rules ran');
    const last = await page.textContent('section.last-run');
    expect(last).to.contain('By brina').and.contain('2 versions');
    expect(
      await page.$$eval('ul.run-items code', (c) => c.map((e) => e.textContent)),
    ).to.deep.equal(['brina/web:2.0.0', 'brina/web:1.1.0']);
    expect(await page.textContent('[data-freed]'))
      .to.match(/^[\d.]+ (B|KiB)$/)
      .and.not.equal('0 B');
    await checkPage(page, 'rules-ran');
    expect((await admin().request('GET', '/v2/brina/web/manifests/1.1.0')).status).to.equal(404);
  });

  it('turns on immutable versions; then /v2 refuses a re-push of the version tag', async () => {
    await page.check('#imm-versions');
    await page.click('button:has-text("Save the immutability rules")');
    expect(await page.isChecked('#imm-versions')).to.equal(true);
    const refused = await admin()
      .pushImage('brina/web', '2.1.0', 'other')
      .then(
        () => '',
        (err: Error) => err.message,
      );
    expect(refused).to.contain('403').and.contain('"code":"DENIED"');
    expect(refused).to.contain('published versions are immutable');
  });

  async function digestOf(version: string): Promise<string> {
    const res = await admin().request('HEAD', `/v2/brina/web/manifests/${version}`);
    return res.headers.get('docker-content-digest') ?? '';
  }
});
