/**
 * A fresh store is manageable from the browser (issue 16 §2): the admin signs in to the web with
 * the access key printed at first start, or with a phone number named in `auth.admins`. Other
 * keys do not open a session, and wrong keys count like wrong codes.
 */
import { expect } from 'chai';
import { api, type ApiError } from '../helpers/accounts.js';
import { CookieBrowser } from '../helpers/cookie-browser.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';

const ADMIN_PHONE = '+4915112347001';
const USER_PHONE = '+4915112347002';

describe('web: admins sign in with the printed key or a phone in auth.admins', function () {
  this.timeout(30_000);
  let srv: TestServer;
  const signInWithKey = async (b: CookieBrowser, key: string) =>
    b.request('POST', '/login', { _csrf: await b.token(), action: 'key', key, next: '/admin' });

  before(async () => {
    srv = await startTestServer({
      auth: { adminKey: ADMIN_KEY, admins: [ADMIN_PHONE] },
    });
  });
  after(() => srv?.close());

  it('opens the admin pages with the admin access key', async () => {
    const b = new CookieBrowser(srv);
    const login = await b.request('GET', '/login');
    expect(login.text).to.contain('sign in with an access key');
    const done = await signInWithKey(b, ADMIN_KEY);
    expect([done.status, done.headers.get('location')]).to.deep.equal([303, '/admin']);
    const admin = await b.request('GET', '/admin');
    expect(admin.status).to.equal(200);
    expect(admin.text).to.contain('Dry run');
    const audit = await api<{ items: { action: string; actor: string; detail: unknown }[] }>(
      srv,
      'GET',
      '/api/v1/audit?action=login',
      { bearer: ADMIN_KEY },
    );
    expect(JSON.stringify(audit.body)).to.contain('access key');
  });

  it("refuses a wrong key, and a user's key, on the form with what to do", async () => {
    const b = new CookieBrowser(srv);
    const wrong = await signInWithKey(b, 'ask_wrongwrongwrongwrongwrong00');
    expect(wrong.status).to.equal(401);
    expect(wrong.text).to.contain('wrong, revoked or expired access key');
    expect(b.cookie('appshelf_session')).to.equal(undefined);

    const user = new CookieBrowser(srv);
    await user.signIn(USER_PHONE, 'plainuser');
    const made = await api<{ key: string }>(srv, 'POST', '/api/v1/keys', {
      bearer: user.cookie('appshelf_session')!,
      body: { name: 'mine', scopes: ['push'] },
    });
    expect(made.status, made.text).to.equal(201);
    const refused = await signInWithKey(new CookieBrowser(srv), made.body.key);
    expect(refused.status).to.equal(403);
    expect(refused.text).to.contain('sign in with your phone number');
  });

  it('makes the account of a phone in auth.admins an admin when it signs in', async () => {
    const b = new CookieBrowser(srv);
    await b.signIn(ADMIN_PHONE, 'operator');
    expect((await b.request('GET', '/admin')).status).to.equal(200);
    const me = await api<{ role: string } & Partial<ApiError>>(srv, 'GET', '/api/v1/users/me', {
      bearer: b.cookie('appshelf_session')!,
    });
    expect(me.body.role).to.equal('admin');
    // A phone not named there stays a user.
    const other = new CookieBrowser(srv);
    await other.signIn('+4915112347003', 'someone');
    expect((await other.request('GET', '/admin')).status).to.equal(403);
  });
});
