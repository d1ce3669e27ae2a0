/**
 * The admin pages without a browser (issue 16 §2): users found by name, display name or phone
 * suffix, disabled and promoted with an audit row each; the audit log filtered and paged by id;
 * admins only, and no change without the form token.
 */
import { expect } from 'chai';
import { api } from '../helpers/accounts.js';
import { CookieBrowser } from '../helpers/cookie-browser.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const ADMIN_PHONE = '+4915112348001';

describe('web: admin pages', function () {
  this.timeout(30_000);
  let srv: TestServer;
  let admin: CookieBrowser;
  let user: CookieBrowser;

  before(async () => {
    srv = await startTestServer({ auth: { admins: [ADMIN_PHONE] } });
    admin = new CookieBrowser(srv);
    await admin.signIn(ADMIN_PHONE, 'boss');
    user = new CookieBrowser(srv);
    await user.signIn('+4915112348002', 'carla');
    await new CookieBrowser(srv).signIn('+4915112348093', 'dieter');
  });
  after(() => srv?.close());

  for (const path of ['/admin', '/admin/users', '/admin/storage', '/admin/audit']) {
    it(`refuses ${path} to a user who is not an admin (403) and shows it to an admin`, async () => {
      expect((await user.request('GET', path)).status).to.equal(403);
      const page = await admin.request('GET', path);
      expect(page.status).to.equal(200);
      expect(page.text)
        .to.contain('aria-label="Administration"')
        .and.contain('aria-current="page"');
    });
  }

  it('finds users by a part of the name and by the last digits of the phone', async () => {
    const byName = await admin.request('GET', '/admin/users?q=arl');
    expect(byName.text).to.contain('>carla</a>').and.not.contain('>dieter</a>');
    const byPhone = await admin.request('GET', '/admin/users?q=8093');
    expect(byPhone.text).to.contain('>dieter</a>').and.not.contain('>carla</a>');
    const none = await admin.request('GET', '/admin/users?q=%25');
    expect(none.text).to.contain('No user matches.');
  });

  it('disables, enables, promotes and demotes a user, each audited, back on the same search', async () => {
    const token = await admin.token('/admin/users');
    for (const [form, done] of [
      [{ disabled: 'true' }, 'disabled'],
      [{ disabled: 'false' }, 'enabled'],
      [{ role: 'admin' }, 'admin'],
      [{ role: 'user' }, 'user'],
    ] as const) {
      const res = await admin.request('POST', '/admin/users/carla', {
        _csrf: token,
        back: '/admin/users?q=carla',
        ...form,
      });
      expect(res.status, res.text).to.equal(303);
      expect(res.headers.get('location')).to.equal(`/admin/users?q=carla&done=${done}`);
    }
    const page = await admin.request('GET', '/admin/users?q=carla&done=user');
    expect(page.text).to.contain('no longer an administrator');
    const audit = await admin.request('GET', '/admin/audit?action=user.&target=carla');
    expect(audit.text.match(/user\.admin-changed/g)).to.have.length(4);
    expect(audit.text).to.contain('<dt>role</dt><dd>admin</dd>');
  });

  it('refuses a change without the form token, and a change of oneself', async () => {
    const forged = await admin.request('POST', '/admin/users/carla', { disabled: 'true' });
    expect(forged.status).to.equal(403);
    const me = await admin.request('POST', '/admin/users/boss', {
      _csrf: await admin.token('/admin/users'),
      role: 'user',
    });
    expect(me.status).to.equal(409);
    expect(me.text).to.contain('You cannot disable or demote yourself.');
    // carla's sessions ended when she was disabled: another user tries.
    const emil = new CookieBrowser(srv);
    await emil.signIn('+4915112348004', 'emil');
    const fromUser = await emil.request('POST', '/admin/users/dieter', {
      _csrf: await emil.token('/my/keys'),
      disabled: 'true',
    });
    expect(fromUser.status).to.equal(403);
  });

  it('filters the audit log by dates and pages it by id', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const inRange = await admin.request('GET', `/admin/audit?from=${today}&to=${today}`);
    expect(inRange.text).to.contain('user.admin-changed');
    const before = await admin.request('GET', '/admin/audit?to=2000-01-01');
    expect(before.text).to.contain('No entries.');
    const all = await api<{ entries: { id: number }[] }>(srv, 'GET', '/api/v1/audit?limit=500', {
      bearer: admin.cookie('appshelf_session')!,
    });
    const newest = all.body.entries[0]!.id;
    const older = await admin.request('GET', `/admin/audit?before=${newest}`);
    expect(older.status).to.equal(200);
    expect(older.text).to.contain('Newest entries');
  });

  it('shows bytes per namespace, the GC runs with what they freed, and the sync jobs', async () => {
    const empty = await admin.request('GET', '/admin/storage');
    expect(empty.text).to.contain('No garbage collection has run yet.');
    const run = await admin.request('POST', '/admin/gc', {
      _csrf: await admin.token('/admin'),
      dryRun: 'false',
    });
    expect(run.status).to.equal(200);
    const page = await admin.request('GET', '/admin/storage');
    expect(page.text)
      .to.contain('Bytes per namespace')
      .and.contain('>boss</a>')
      .and.contain('<table class="data gc-runs">')
      .and.contain('<dt>failed</dt><dd>0</dd>')
      .and.contain('No sync job has failed.');
    expect(
      /<table class="data gc-runs">[\s\S]*?<td>boss<\/td><td>([^<]+)<\/td>/.exec(page.text)?.[1],
    ).to.match(/\d/);
  });

  it('lists the organisations with their members and apps, linking their publisher pages', async () => {
    const made = await api(srv, 'POST', '/api/v1/orgs', {
      bearer: admin.cookie('appshelf_session')!,
      body: { name: 'acme-admin' },
    });
    expect(made.status, made.text).to.equal(201);
    const page = await admin.request('GET', '/admin/users');
    expect(page.text).to.match(
      /<a href="\/publishers\/acme-admin">acme-admin<\/a><\/th><td>[^<]*<\/td><td>1<\/td><td>0<\/td>/,
    );
  });
});
