/**
 * Texts agree with the rules they describe and with the counts they show (issue 16 §4): the name
 * and logo rules a page states are the ones the store enforces, counts take the right plural, the
 * publisher's own visits are not counted, and an app off the shelf says who can see it.
 */
import { expect } from 'chai';
import {
  APP_NAME_RULE,
  LOGO_RULE,
  MAX_LOGO_BYTES,
  NAMESPACE_NAME_RULE,
} from '../../schemas/names.js';
import { SESSION_COOKIE } from '../../server/http/authenticate.js';
import { api, codeFromLogs, type ApiError } from '../helpers/accounts.js';
import { CookieBrowser } from '../helpers/cookie-browser.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';

const PHONE = '+4915112346001';

describe('web: texts agree with the rules', function () {
  this.timeout(30_000);
  let srv: TestServer;
  let alice: CookieBrowser;
  let token: string;
  const visits = async (): Promise<number> =>
    (await api<{ visits: number }>(srv, 'GET', '/api/v1/apps/alice/notes', { bearer: token })).body
      .visits;

  before(async () => {
    srv = await startTestServer();
    alice = new CookieBrowser(srv);
    await alice.signIn(PHONE, 'alice');
    token = alice.cookie(SESSION_COOKIE)!; // the session, as the API takes it too
    const created = await api(srv, 'POST', '/api/v1/apps', {
      bearer: token,
      body: { namespace: 'alice', name: 'notes' },
    });
    expect(created.status, created.text).to.equal(201);
  });
  after(() => srv?.close());

  it('states the logo limit the store enforces, in the form and in the refusal', async () => {
    expect(LOGO_RULE).to.contain(`${MAX_LOGO_BYTES / 1024} KiB`);
    const page = await alice.request('GET', '/my/apps/alice/notes');
    expect(page.text).to.contain(`Image (${LOGO_RULE}; square looks best)`);
    const form = new FormData();
    form.set('_csrf', await alice.token('/my/apps/alice/notes'));
    const big = Buffer.alloc(MAX_LOGO_BYTES + 1, 0x20);
    form.set('logo', new Blob([big], { type: 'image/png' }), 'logo.png');
    const refused = await alice.send('POST', '/my/apps/alice/notes/logo', form);
    expect(refused.text).to.contain(`The logo must be ${LOGO_RULE}.`);
  });

  it('states the app name rule the store enforces', async () => {
    const my = await alice.request('GET', '/my');
    expect(my.text).to.contain(`The repository name: ${APP_NAME_RULE}.`);
    // What the rule allows (two underscores) is taken; what it does not is refused in its words.
    const [allowed, refused] = await Promise.all([
      api(srv, 'POST', '/api/v1/apps', {
        bearer: token,
        body: { namespace: 'alice', name: 'a__b' },
      }),
      api<ApiError>(srv, 'POST', '/api/v1/apps', {
        bearer: token,
        body: { namespace: 'alice', name: 'Bad!' },
      }),
    ]);
    expect(allowed.status, allowed.text).to.equal(201);
    expect([refused.status, refused.text]).to.satisfy(
      ([status, text]: [number, string]) => status === 400 && text.includes(APP_NAME_RULE),
    );
    const web = await alice.request('POST', '/my/apps', {
      _csrf: await alice.token('/my'),
      namespace: 'alice',
      name: 'x'.repeat(65),
    });
    expect(web.text).to.contain(APP_NAME_RULE);
  });

  it('states the namespace name rule the sign-up enforces', async () => {
    const visitor = new CookieBrowser(srv);
    const page = await visitor.request('POST', '/login', {
      _csrf: await visitor.token(),
      action: 'code',
      phone: '+4915112346002',
    });
    expect(page.text).to.contain(NAMESPACE_NAME_RULE);
    const code = await api(srv, 'POST', '/api/v1/auth/code', { body: { phone: '+4915112346003' } });
    expect(code.status).to.equal(202);
    const refused = await api(srv, 'POST', '/api/v1/auth/login', {
      body: { phone: '+4915112346003', code: codeFromLogs(srv, '+4915112346003'), name: 'x' },
    });
    expect([refused.status, refused.text]).to.satisfy(
      ([status, text]: [number, string]) => status === 400 && text.includes(NAMESPACE_NAME_RULE),
    );
  });

  it("does not count the owner's own visits, and says who sees an app off the shelf", async () => {
    const page = await alice.request('GET', '/apps/alice/notes');
    expect(page.status).to.equal(200);
    expect(page.text).to.contain('private: only members of alice see it');
    expect(await visits()).to.equal(0);
    const own = await api<{ counted: boolean }>(srv, 'POST', '/api/v1/apps/alice/notes/visit', {
      bearer: token,
    });
    expect([own.body.counted, await visits()]).to.deep.equal([false, 0]);
  });

  it('writes counts with the right plural', async () => {
    const one = await api<{ counted: boolean }>(srv, 'POST', '/api/v1/apps/alice/notes/visit', {
      bearer: ADMIN_KEY,
    });
    expect(one.body.counted).to.equal(true);
    const page = await alice.request('GET', '/apps/alice/notes');
    expect(page.text)
      .to.contain('<strong data-stat="visits">1</strong> visit</span>')
      .and.contain('<strong data-stat="installs">0</strong> installs</span>');
    const my = await alice.request('GET', '/my');
    expect(my.text).to.contain('0 versions').and.contain('0 installs · 1 visit ·');
  });
});
