/**
 * Forged API requests (issue 13 §3): the session cookie rides along with any request a browser
 * makes, so a request to a mutating /api/v1 route that the cookie alone authenticates is taken
 * only from the store's own pages: an Origin of the store (or, without one, a Referer on it)
 * and a JSON body type, which no cross-site form can send without a CORS preflight. Otherwise
 * 403, and nothing changes. Reads, and requests with a bearer token or an access key, are as
 * before.
 */
import { expect } from 'chai';
import { api, loginWithPhone, type ApiAnswer, type ApiError } from '../helpers/accounts.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('api: cookie-authenticated mutations come from the store itself', function () {
  this.timeout(20_000);
  let srv: TestServer;
  let session: string;
  let pushKey: string;
  let own: string;

  const keyCount = async (): Promise<number> =>
    (await api<{ keys: unknown[] }>(srv, 'GET', '/api/v1/keys', { bearer: session })).body.keys
      .length;
  const createKey = (
    call: { cookie?: boolean; bearer?: string; type?: string; body?: string },
    headers: Record<string, string> = {},
  ): Promise<ApiAnswer<ApiError>> =>
    api<ApiError>(srv, 'POST', '/api/v1/keys', {
      ...(call.cookie ? { session } : {}),
      ...(call.bearer ? { bearer: call.bearer } : {}),
      body: call.body ?? JSON.stringify({ name: 'forged?', scopes: ['read'] }),
      headers: { 'content-type': call.type ?? 'application/json', ...headers },
    });

  before(async () => {
    srv = await startTestServer();
    own = srv.url;
    session = (await loginWithPhone(srv, '+4915112341401', 'cookie')).token;
    const made = await api<{ key: string }>(srv, 'POST', '/api/v1/keys', {
      bearer: session,
      body: { name: 'push', scopes: ['push'] },
    });
    pushKey = made.body.key;
  });
  after(() => srv?.close());

  for (const [what, headers, type] of [
    ['without Origin or Referer', {}, undefined],
    ['with a foreign Origin', { origin: 'https://evil.example' }, undefined],
    ['with Origin: null (a sandboxed frame)', { origin: 'null' }, undefined],
    ['with the store on another port', { origin: 'http://127.0.0.1:1' }, undefined],
    ['with a foreign Referer', { referer: 'https://evil.example/page' }, undefined],
    ['from the store, as text/plain', 'own', 'text/plain'],
    ['from the store, as a form', 'own', 'application/x-www-form-urlencoded'],
    ['from the store, as multipart', 'own', 'multipart/form-data; boundary=x'],
  ] as const) {
    it(`refuses one ${what} with 403 and changes nothing`, async () => {
      const before = await keyCount();
      const res = await createKey(
        { cookie: true, ...(type ? { type } : {}) },
        headers === 'own' ? { origin: own } : headers,
      );
      expect([res.status, res.body.error?.code], res.text).to.deep.equal([403, 'forbidden']);
      expect(await keyCount()).to.equal(before);
    });
  }

  it('takes one from the store: its Origin, or its Referer when there is no Origin, and JSON', async () => {
    const before = await keyCount();
    expect((await createKey({ cookie: true }, { origin: own })).status).to.equal(201);
    expect((await createKey({ cookie: true }, { referer: `${own}/my/keys` })).status).to.equal(201);
    expect(await keyCount()).to.equal(before + 2);
  });

  it('guards every mutating method: PATCH and DELETE too', async () => {
    const made = await api<{ id: number }>(srv, 'POST', '/api/v1/keys', {
      bearer: session,
      body: { name: 'victim', scopes: ['read'] },
    });
    const revoke = (headers: Record<string, string>) =>
      api(srv, 'DELETE', `/api/v1/keys/${made.body.id}`, { session, headers });
    expect((await revoke({ origin: 'https://evil.example' })).status).to.equal(403);
    const rename = await api(srv, 'PATCH', '/api/v1/users/me', {
      session,
      body: { displayName: 'Forged' },
      headers: { origin: 'https://evil.example' },
    });
    expect(rename.status).to.equal(403);
    const me = await api<{ displayName: string }>(srv, 'GET', '/api/v1/users/me', { session });
    expect(me.body.displayName).to.equal('');
    const live = await api<{ keys: { id: number }[] }>(srv, 'GET', '/api/v1/keys', {
      bearer: session,
    });
    expect(live.body.keys.map((k) => k.id)).to.include(made.body.id);
    expect(
      (await revoke({ origin: own, 'content-type': 'application/json' })).status,
      'a body-less DELETE from the store declares JSON',
    ).to.equal(204);
  });

  it('leaves reads alone: a GET with the cookie and any Origin answers', async () => {
    const res = await api(srv, 'GET', '/api/v1/users/me', {
      session,
      headers: { origin: 'https://evil.example' },
    });
    expect(res.status).to.equal(200);
  });

  it('leaves bearer tokens and access keys alone, also when a cookie rides along', async () => {
    const before = await keyCount();
    const answers = [
      (await createKey({ bearer: session })).status,
      (await createKey({ bearer: pushKey }, { origin: 'https://evil.example' })).status,
      (await createKey({ bearer: pushKey, cookie: true }, { origin: 'https://evil.example' }))
        .status,
    ];
    expect(answers).to.deep.equal([201, 201, 201]);
    expect(await keyCount()).to.equal(before + 3);
  });
});
