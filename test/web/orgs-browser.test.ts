/**
 * Organisations in a real browser (Debian's chromium via playwright-core) against a real server:
 * an owner creates one on My store (a bad name is refused on the page), invites a user who does
 * not exist (refused), invites and withdraws, invites again; the invited user signs in, joins
 * from My store and shows their membership; the owner changes their role, cannot demote the last
 * owner, and removes them. The organisation's publisher page lists its shelf apps (not the one
 * off the shelf) with versions and installs, and the members who chose to show. Every change is
 * in the audit log as the API writes it. Each page is checked with axe-core at 1280 and 375 px
 * (no serious or critical violations, no sideways scrolling on a phone) and saved as screenshots
 * (test/artifacts/screenshots/orgs-*).
 */
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { api, loginWithPhone } from '../helpers/accounts.js';
import { TestRegistryClient } from '../helpers/registry-client.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { checkPage as checkPageHolds } from './page-checks.js';
import { findChromium, launchBrowser, watchProblems, type TestBrowser } from './browser.js';
import { pushApp } from './push-app.js';

const ORG = 'acme-labs';

describe('web: organisations in a browser (create, invite, join, roles, remove, publisher page)', function () {
  this.timeout(180_000);
  let srv: TestServer;
  let browser: TestBrowser | undefined;
  let page: Page;
  let owner = '';
  let guest = '';
  const problems: string[] = [];

  /** The title names the store; then what every page must hold (page-checks.ts). */
  async function checkPage(name: string): Promise<void> {
    expect(await page.title(), name).to.match(/appshelf/);
    await checkPageHolds(page, `orgs-${name}`);
  }

  /** The browser signed in as the user of session `token` (a fresh cookie jar). */
  async function signInAs(token: string): Promise<void> {
    await browser!.context.clearCookies();
    await browser!.context.addCookies([{ name: 'appshelf_session', value: token, url: srv.url }]);
  }

  const status = () => page.textContent('[role=status]');
  const alert = () => page.textContent('[role=alert]');
  const memberRow = (name: string) => page.locator(`tr[data-member="${name}"]`);

  before(async function () {
    const chromium = findChromium();
    if (!chromium) return this.skip(); // outside CI only: findChromium throws in CI
    srv = await startTestServer();
    owner = (await loginWithPhone(srv, '+4915112340301', 'olga')).token;
    guest = (await loginWithPhone(srv, '+4915112340302', 'max')).token;
    browser = await launchBrowser(chromium);
    page = browser.page;
    watchProblems(page, problems, (m) => m.text().startsWith('Failed to load resource'));
    // The removal and leave forms ask first (static/app.js); the test says yes.
    page.on('dialog', (d) => void d.accept());
  });

  after(async () => {
    await browser?.close();
    await srv?.close();
  });

  afterEach(() => {
    expect(problems, 'script errors and CSP reports').to.deep.equal([]);
  });

  it('creates an organisation on My store; a bad name is refused on the page', async () => {
    await signInAs(owner);
    await page.goto(`${srv.url}/my`);
    await page.click('nav.subnav a:has-text("Organisations")');
    expect(new URL(page.url()).pathname).to.equal('/my/orgs');
    expect(await page.textContent('main')).to.contain('You belong to no organisation yet');
    await checkPage('list-empty');
    await page.fill('#org-name', 'Acme Labs');
    await page.fill('#org-display', 'Acme Labs');
    await page.click('button:has-text("Create organisation")');
    expect(await alert()).to.match(/organisation name/);
    expect(await page.inputValue('#org-name'), 'what was typed stays').to.equal('Acme Labs');
    await checkPage('create-refused');
    await page.fill('#org-name', ORG);
    await page.click('button:has-text("Create organisation")');
    expect(new URL(page.url()).pathname).to.equal(`/my/orgs/${ORG}`);
    expect(await status()).to.contain('you are its owner');
    expect(await page.textContent('h1')).to.equal('Acme Labs');
    expect(await memberRow('olga').textContent()).to.contain('(you)');
    await page.goto(`${srv.url}/my/orgs`);
    expect(await page.textContent('.org-list')).to.contain(ORG);
  });

  it('invites: an unknown user is refused, an invitation is withdrawn, then sent again', async () => {
    await page.goto(`${srv.url}/my/orgs/${ORG}`);
    await page.fill('#invite-user', 'nobody-here');
    await page.click('button:has-text("Invite")');
    expect(await alert()).to.contain('no user "nobody-here"');
    expect(await page.inputValue('#invite-user')).to.equal('nobody-here');
    await page.fill('#invite-user', 'max');
    await page.selectOption('#invite-role', 'maintainer');
    await page.click('button:has-text("Invite")');
    expect(await status()).to.contain('invitation is sent');
    expect(await page.textContent('[data-invited="max"]')).to.contain('as maintainer');
    await page.click('[data-invited="max"] button:has-text("Withdraw")');
    expect(await status()).to.contain('withdrawn');
    expect(await page.locator('[data-invited="max"]').count()).to.equal(0);
    await page.fill('#invite-user', 'max');
    await page.selectOption('#invite-role', 'member');
    await page.click('button:has-text("Invite")');
    expect(await page.textContent('[data-invited="max"]')).to.contain('as member');
    await checkPage('owner-view');
  });

  it('the invited user joins from My store and shows their membership', async () => {
    await signInAs(guest);
    await page.goto(`${srv.url}/my`);
    expect(await page.textContent('#invitations-h + ul')).to.contain(ORG);
    await page.click(`button:has-text("Join ${ORG}")`);
    expect(await status()).to.contain('You joined');
    await page.goto(`${srv.url}/my/orgs`);
    await page.click(`.org-list a[href="/my/orgs/${ORG}"]`);
    expect(await memberRow('max').textContent()).to.contain('member');
    expect(await page.locator('#invite-user').count(), 'no invite form for a member').to.equal(0);
    expect(await page.locator('button:has-text("Remove")').count()).to.equal(0);
    await page.click('button:has-text("Show it")');
    expect(await status()).to.contain('shows on the publisher page');
    await checkPage('member-view');
    // A member who is no owner may not change roles: the store refuses a forged post too.
    const cookie = (await browser!.context.cookies(srv.url))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
    const csrf = await page.getAttribute('input[name=_csrf]', 'value');
    const forged = await fetch(`${srv.url}/my/orgs/${ORG}/members/olga/role`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', origin: srv.url },
      body: new URLSearchParams({ _csrf: csrf!, role: 'member' }),
      redirect: 'manual',
    });
    expect(forged.status).to.equal(403);
    expect(await forged.text()).to.contain('only owners manage members');
    const noToken = await fetch(`${srv.url}/my/orgs/${ORG}/members/max/visibility`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', origin: srv.url },
      body: new URLSearchParams({ public: 'false' }),
      redirect: 'manual',
    });
    expect(noToken.status, 'a form without the CSRF token').to.equal(403);
  });

  it('the owner describes the organisation: a bad website is refused, the profile and a logo saved', async () => {
    await signInAs(owner);
    await page.goto(`${srv.url}/my/orgs/${ORG}`);
    await page.fill('#org-about', 'We make tools for rivers and labs.');
    await page.fill('#org-website', 'ftp://acme.example');
    await page.click('button:has-text("Save profile")');
    expect(await alert()).to.contain('must be an http(s) address');
    expect(await page.inputValue('#org-about'), 'what was typed stays').to.equal(
      'We make tools for rivers and labs.',
    );
    await page.fill('#org-website', 'https://acme.example');
    await page.click('button:has-text("Save profile")');
    expect(await status()).to.contain('profile is saved');
    // Any PNG will do: a corner of this page, as the browser renders it.
    const png = await page.screenshot({ clip: { x: 0, y: 0, width: 64, height: 64 } });
    await page.setInputFiles('#org-logo', { name: 'logo.png', mimeType: 'image/png', buffer: png });
    await page.click('button:has-text("Upload logo")');
    expect(await status()).to.contain('logo is changed');
    await page.setInputFiles('#org-logo', {
      name: 'logo.svg',
      mimeType: 'image/svg+xml',
      buffer: Buffer.from(
        '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
      ),
    });
    await page.click('button:has-text("Upload logo")');
    expect(await alert()).to.contain('PNG or JPEG');
    const logo = await api(srv, 'GET', `/api/v1/orgs/${ORG}/logo`);
    expect(logo.status).to.equal(200);
    expect(logo.headers.get('content-type')).to.equal('image/png');
  });

  it('the owner changes the role, cannot demote the last owner, and the publisher page lists shelf apps and shown members', async () => {
    await signInAs(owner);
    await page.goto(`${srv.url}/my/orgs/${ORG}`);
    await memberRow('max').locator('select').selectOption('maintainer');
    await memberRow('max').locator('button:has-text("Change")').click();
    expect(await status()).to.contain('role is changed');
    expect(await memberRow('max').locator('select').inputValue()).to.equal('maintainer');
    await memberRow('olga').locator('select').selectOption('member');
    await memberRow('olga').locator('button:has-text("Change")').click();
    expect(await alert()).to.contain('at least one owner');
    await checkPage('last-owner-refused');

    // Two apps in the organisation, pushed by the admin: one on the shelf, one not.
    const reg = new TestRegistryClient(srv.url, { username: 'admin', password: ADMIN_KEY });
    await pushApp(reg, `${ORG}/notes`, '1.2.0');
    await pushApp(reg, `${ORG}/draft-tool`, '0.1.0');
    const pkg = await api(srv, 'POST', `/api/v1/apps/${ORG}/notes/packages`, {
      bearer: ADMIN_KEY,
      body: { name: 'stable', versions: ['1.2.0'] },
    });
    expect(pkg.status, pkg.text).to.equal(201);
    const shelf = await api(srv, 'PUT', `/api/v1/apps/${ORG}/notes/shelf`, {
      bearer: ADMIN_KEY,
      body: { listed: true },
    });
    expect(shelf.status, shelf.text).to.equal(200);

    await browser!.context.clearCookies();
    await page.goto(`${srv.url}/publishers/${ORG}`);
    expect(await page.textContent('h1')).to.equal('Acme Labs');
    expect(await page.textContent('.profile .bio')).to.equal('We make tools for rivers and labs.');
    expect(await page.getAttribute('.profile a[rel~=nofollow]', 'href')).to.equal(
      'https://acme.example',
    );
    expect(await page.getAttribute('.profile img.org-logo', 'src')).to.equal(
      `/api/v1/orgs/${ORG}/logo`,
    );
    const cards = await page.locator('.cards .card').allTextContents();
    expect(cards).to.have.length(1);
    expect(cards[0]).to.contain('notes').and.contain('v1.2.0').and.contain('0 installs');
    const shown = await page.textContent('.org-members');
    expect(shown).to.contain('max').and.not.contain('olga');
    await checkPage('publisher');
    await page.click('.org-members a:has-text("max")');
    expect(new URL(page.url()).pathname).to.equal('/publishers/max');
    expect(
      await page.textContent('#orgs-h + ul'),
      "the member's page names the organisation",
    ).to.contain('Acme Labs');
    await checkPage('publisher-member');
  });

  it('the owner removes the member; every change is in the audit log', async () => {
    await signInAs(owner);
    await page.goto(`${srv.url}/my/orgs/${ORG}`);
    await memberRow('max').locator('button:has-text("Remove")').click();
    expect(await status()).to.contain('member is removed');
    expect(await memberRow('max').count()).to.equal(0);
    const audit = await api<{ entries: { action: string; target: string; actor: string }[] }>(
      srv,
      'GET',
      '/api/v1/audit?limit=500',
      { bearer: ADMIN_KEY },
    );
    expect(audit.status, audit.text).to.equal(200);
    const of = (e: { action: string; actor: string }) => `${e.actor} ${e.action}`;
    const ours = audit.body.entries.filter(
      (e) => e.target === ORG || e.target.startsWith(`${ORG}/`),
    );
    const changes = ours.map(of).filter((line) => !line.startsWith('admin '));
    expect(changes.reverse()).to.deep.equal([
      'olga org.created',
      'olga member.invited',
      'olga invitation.withdrawn',
      'olga member.invited',
      'max invitation.accepted',
      'max member.shown',
      'olga org.updated',
      'olga org.logo',
      'olga member.set',
      'olga member.removed',
    ]);
  });
});
