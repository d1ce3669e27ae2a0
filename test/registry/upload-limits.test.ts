/**
 * Open upload sessions are capped per principal (`registry.maxOpenUploads`, issue 13 §5): past the
 * cap a POST gets 429 TOOMANYREQUESTS in OCI error JSON, other principals are not affected, and a
 * finished or cancelled session frees its slot. Anonymous callers open none.
 */
import { sql } from 'drizzle-orm';
import { sqlRows } from '../helpers/store-sql.js';
import { expect } from 'chai';
import { api, loginWithPhone } from '../helpers/accounts.js';
import {
  errorCode,
  sha256,
  TestRegistryClient,
  type OciErrorBody,
} from '../helpers/registry-client.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const MAX = 3;

describe('registry: open upload sessions per principal', () => {
  let srv: TestServer;
  let admin: TestRegistryClient;
  let kim: TestRegistryClient;

  before(async () => {
    srv = await startTestServer({ registry: { maxOpenUploads: MAX, anonymousPull: true } });
    admin = new TestRegistryClient(srv.url);
    const login = await loginWithPhone(srv, '+4915112341301', 'kim');
    const key = await api<{ key: string }>(srv, 'POST', '/api/v1/keys', {
      bearer: login.token,
      body: { name: 'ci', scopes: ['push'] },
    });
    expect(key.status, key.text).to.equal(201);
    kim = new TestRegistryClient(srv.url, { username: 'kim', password: key.body.key });
  });
  after(() => srv.close());

  const open = (client: TestRegistryClient, repo: string): Promise<Response> =>
    client.request('POST', `/v2/${repo}/blobs/uploads/`);

  it(`refuses the ${MAX + 1}th open session with 429 TOOMANYREQUESTS; other principals still open theirs`, async () => {
    const locations: string[] = [];
    for (let i = 0; i < MAX; i++) {
      const res = await open(admin, i % 2 ? 'admin/one' : 'admin/two');
      expect(res.status, `session ${i + 1}`).to.equal(202);
      locations.push(res.headers.get('location')!);
    }
    const over = await open(admin, 'admin/three');
    expect(over.status).to.equal(429);
    expect(over.headers.get('content-type')).to.match(/^application\/json/);
    const body = (await over.json()) as OciErrorBody;
    expect(body.errors.map((e) => e.code)).to.deep.equal(['TOOMANYREQUESTS']);
    expect(body.errors[0]?.detail).to.deep.include({ limit: MAX });

    // A monolithic POST opens a session too, so it is refused the same way.
    const blob = Buffer.from('one request');
    const monolithic = await admin.request(
      'POST',
      `/v2/admin/one/blobs/uploads/?digest=${sha256(blob)}`,
      { body: blob, headers: { 'content-type': 'application/octet-stream' } },
    );
    expect([monolithic.status, await errorCode(monolithic)]).to.deep.equal([
      429,
      'TOOMANYREQUESTS',
    ]);

    expect((await open(kim, 'kim/app')).status, 'another principal').to.equal(202);

    // Cancelling one session and finishing another frees two slots.
    expect((await admin.request('DELETE', locations[0]!)).status).to.equal(204);
    const data = Buffer.from('finished');
    const done = await admin.request('PUT', `${locations[1]!}?digest=${sha256(data)}`, {
      body: data,
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(done.status).to.equal(201);
    expect((await open(admin, 'admin/three')).status).to.equal(202);
    expect((await open(admin, 'admin/three')).status).to.equal(202);
    expect((await open(admin, 'admin/three')).status).to.equal(429);
  });

  it('anonymous callers cannot open an upload session, even with anonymous pull on', async () => {
    const sessions = async (): Promise<number> =>
      Number(
        (await sqlRows<{ n: number }>(srv.app.store, sql`select count(*) as n from uploads`))[0]!.n,
      );
    const before = await sessions();
    const anonymous = new TestRegistryClient(srv.url, null);
    const res = await open(anonymous, 'admin/one');
    expect([res.status, await errorCode(res)]).to.deep.equal([401, 'UNAUTHORIZED']);
    expect(await sessions(), 'open sessions').to.equal(before);
  });
});
