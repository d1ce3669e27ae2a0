/**
 * Access keys end to end (issue 3): a user logs in by phone, makes keys through the API, and skopeo
 * pushes with them. Scopes, namespaces, revocation, expiry and an admin disabling the user are
 * each refused by the registry; the audit trail names who did what from where.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { api, loginWithPhone, TestClock, type ApiError } from '../helpers/accounts.js';
import { writeImageLayout } from '../helpers/oci-layout.js';
import { errorCode, TestRegistryClient } from '../helpers/registry-client.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { run, toolAvailable, type RunResult } from '../helpers/tools.js';

interface NewKey {
  id: number;
  key: string;
  scopes: string[];
}
interface AuditEntry {
  actor: string;
  action: string;
  target: string;
  address: string;
}

describe('server: access keys end to end with skopeo', function () {
  this.timeout(60_000);
  const clock = new TestClock();
  let srv: TestServer | undefined;
  let dir: string | undefined;
  let layout: string;
  let image: { digest: string };
  let env: NodeJS.ProcessEnv;
  let policy: string;
  let authFile: string;
  let session: string;
  let leeSession: string;
  let pushKey: NewKey;

  before(async function () {
    if (!toolAvailable('skopeo')) this.skip();
    dir = await mkdtemp(join(tmpdir(), 'appshelf-keys-e2e-'));
    layout = join(dir, 'layout');
    image = await writeImageLayout(layout, 'demo');
    // An isolated containers/image home: its own auth file, policy and registries.conf.
    const home = join(dir, 'home');
    await mkdir(home, { recursive: true });
    await mkdir(join(dir, 'run'), { recursive: true, mode: 0o700 });
    policy = join(dir, 'policy.json');
    authFile = join(dir, 'auth.json');
    await writeFile(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
    await writeFile(authFile, '{"auths":{}}\n');
    await writeFile(join(dir, 'registries.conf'), 'unqualified-search-registries = []\n');
    env = {
      PATH: process.env.PATH,
      HOME: home,
      XDG_RUNTIME_DIR: join(dir, 'run'),
      XDG_CONFIG_HOME: join(home, '.config'),
      REGISTRY_AUTH_FILE: authFile,
      CONTAINERS_REGISTRIES_CONF: join(dir, 'registries.conf'),
      TMPDIR: dir,
    };

    srv = await startTestServer({}, { clock: clock.now });
    const kim = await loginWithPhone(srv, '+4915112340701', 'kim');
    expect(kim.status).to.equal(201);
    session = kim.token;
    const lee = await loginWithPhone(srv, '+4915112340702', 'lee');
    expect(lee.status).to.equal(201);
    leeSession = lee.token;
    pushKey = await createKey({ name: 'ci', scopes: ['push'] });
  });

  after(async () => {
    await srv?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** The cookie-signed calls come from the store's own pages (a browser sends this Origin). */
  const own = () => ({ origin: srv!.url, 'content-type': 'application/json' });

  async function createKey(body: {
    name: string;
    scopes: string[];
    expiresAt?: string;
  }): Promise<NewKey> {
    const res = await api<NewKey>(srv!, 'POST', '/api/v1/keys', { session, body, headers: own() });
    expect(res.status, res.text).to.equal(201);
    return res.body;
  }

  /** skopeo copy of the layout's image to `<repository>:<tag>` as `kim` with `key`. */
  const push = (key: string, repository: string, tag = '1', user = 'kim'): Promise<RunResult> =>
    run(
      'skopeo',
      [
        '--policy',
        policy,
        'copy',
        '--quiet',
        '--retry-times',
        '0',
        '--dest-tls-verify=false',
        '--authfile',
        authFile,
        '--dest-creds',
        `${user}:${key}`,
        `oci:${layout}:demo`,
        `docker://${srv!.host}/${repository}:${tag}`,
      ],
      { env, allowFailure: true, timeoutMs: 30_000 },
    );
  const expectPushed = async (
    result: RunResult,
    repository: string,
    tag: string,
  ): Promise<void> => {
    expect(result.code, result.stderr).to.equal(0);
    const admin = new TestRegistryClient(srv!.url);
    const res = await admin.request('HEAD', `/v2/${repository}/manifests/${tag}`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('docker-content-digest')).to.equal(image.digest);
  };
  const expectRefused = async (
    result: RunResult,
    repository: string,
    tag: string,
    says: RegExp,
  ): Promise<void> => {
    expect(result.code, 'skopeo should have failed').to.not.equal(0);
    expect(result.stderr).to.match(says, result.stderr);
    const admin = new TestRegistryClient(srv!.url);
    expect((await admin.request('HEAD', `/v2/${repository}/manifests/${tag}`)).status).to.equal(
      404,
    );
  };
  /** What the registry answers `kim` with `key` when starting an upload to `repository`. */
  const uploadAnswer = async (
    key: string,
    repository: string,
  ): Promise<[number, string | undefined]> => {
    const res = await new TestRegistryClient(srv!.url, { username: 'kim', password: key }).request(
      'POST',
      `/v2/${repository}/blobs/uploads/`,
    );
    return [res.status, await errorCode(res)];
  };
  const tokenStatus = async (key: string, user = 'kim'): Promise<number> => {
    const basic = Buffer.from(`${user}:${key}`).toString('base64');
    const res = await fetch(
      new URL('/v2/token?service=appshelf&scope=repository:kim/demo:pull,push', srv!.url),
      { headers: { authorization: `Basic ${basic}` } },
    );
    await res.arrayBuffer();
    return res.status;
  };

  it('a key with the push scope pushes into the own namespace', async () => {
    expect(pushKey.scopes).to.deep.equal(['push']);
    await expectPushed(await push(pushKey.key, 'kim/demo'), 'kim/demo', '1');
  });

  it("the same key cannot push into admin's or another user's namespace: DENIED", async () => {
    for (const repository of ['admin/demo', 'lee/demo']) {
      // skopeo stops at the first refusal, a HEAD on a blob (403, no body) or the upload (DENIED).
      await expectRefused(await push(pushKey.key, repository), repository, '1', /denied|403/i);
      expect(await uploadAnswer(pushKey.key, repository)).to.deep.equal([403, 'DENIED']);
    }
    // Nor does it stand for another user: the key belongs to kim.
    expect(await tokenStatus(pushKey.key, 'lee')).to.equal(401);
  });

  it('a read-only key pulls but may not push', async () => {
    const read = await createKey({ name: 'laptop', scopes: ['read'] });
    await expectRefused(
      await push(read.key, 'kim/demo', 'read-only'),
      'kim/demo',
      'read-only',
      /denied/i,
    );
    expect(await uploadAnswer(read.key, 'kim/demo')).to.deep.equal([403, 'DENIED']);
    const pulled = await run(
      'skopeo',
      [
        '--policy',
        policy,
        'inspect',
        '--raw',
        '--tls-verify=false',
        '--authfile',
        authFile,
        '--creds',
        `kim:${read.key}`,
        `docker://${srv!.host}/kim/demo:1`,
      ],
      { env, timeoutMs: 30_000 },
    );
    expect(JSON.parse(pulled.stdout)).to.have.property('schemaVersion', 2);
  });

  it('a revoked key is refused at once, registry tokens made from it included', async () => {
    const doomed = await createKey({ name: 'doomed', scopes: ['push'] });
    const client = new TestRegistryClient(srv!.url, { username: 'kim', password: doomed.key });
    expect(await client.token('repository:kim/demo:pull,push')).to.be.a('string');

    const revoked = await api(srv!, 'DELETE', `/api/v1/keys/${doomed.id}`, {
      session,
      headers: own(),
    });
    expect(revoked.status, revoked.text).to.equal(204);
    await expectRefused(
      await push(doomed.key, 'kim/demo', 'revoked'),
      'kim/demo',
      'revoked',
      /unauthorized|authentication required|denied/i,
    );
    expect(await tokenStatus(doomed.key)).to.equal(401);
    const stale = await client.request('POST', '/v2/kim/demo/blobs/uploads/');
    expect(stale.status).to.equal(403);
    expect(await errorCode(stale)).to.equal('DENIED');
    expect((await api(srv!, 'GET', '/api/v1/users/me', { bearer: doomed.key })).status).to.equal(
      401,
    );

    const keys = await api<{ keys: { id: number }[] }>(srv!, 'GET', '/api/v1/keys', { session });
    expect(keys.body.keys.map((k) => k.id)).to.not.include(doomed.id);
    expect(
      (
        await api<ApiError>(srv!, 'DELETE', `/api/v1/keys/${doomed.id}`, {
          session,
          headers: own(),
        })
      ).status,
    ).to.equal(404);
  });

  it("a user cannot revoke another user's key", async () => {
    const lee = await api<ApiError>(srv!, 'DELETE', `/api/v1/keys/${pushKey.id}`, {
      bearer: leeSession,
    });
    expect(lee.status).to.equal(404);
    expect(lee.body.error.code).to.equal('not_found');
    expect(await tokenStatus(pushKey.key)).to.equal(200);
  });

  it('an expired key is refused', async () => {
    const expiresAt = new Date(clock.now() + 3_600_000).toISOString();
    const brief = await createKey({ name: 'brief', scopes: ['push'], expiresAt });
    await expectPushed(
      await push(brief.key, 'kim/demo', 'before-expiry'),
      'kim/demo',
      'before-expiry',
    );
    clock.advance(2 * 3_600_000);
    await expectRefused(
      await push(brief.key, 'kim/demo', 'after-expiry'),
      'kim/demo',
      'after-expiry',
      /unauthorized|authentication required|denied/i,
    );
    expect(await tokenStatus(brief.key)).to.equal(401);
    expect((await api(srv!, 'GET', '/api/v1/users/me', { bearer: brief.key })).status).to.equal(
      401,
    );
  });

  it('a user disabled by an admin: keys refused and the session ended (re-enabling brings back keys, not sessions)', async () => {
    expect((await api(srv!, 'GET', '/api/v1/users/me', { session })).status).to.equal(200);
    const notAdmin = await api<ApiError>(srv!, 'PATCH', '/api/v1/admin/users/kim', {
      bearer: pushKey.key,
      body: { disabled: true },
    });
    expect(notAdmin.status).to.equal(403);

    const disabled = await api<{ disabled: boolean }>(srv!, 'PATCH', '/api/v1/admin/users/kim', {
      bearer: ADMIN_KEY,
      body: { disabled: true },
    });
    expect(disabled.status, disabled.text).to.equal(200);
    expect(disabled.body.disabled).to.equal(true);
    await expectRefused(
      await push(pushKey.key, 'kim/demo', 'disabled'),
      'kim/demo',
      'disabled',
      /unauthorized|authentication required|denied/i,
    );
    expect(await tokenStatus(pushKey.key)).to.equal(401);
    expect((await api(srv!, 'GET', '/api/v1/users/me', { session })).status).to.equal(401);
    expect((await api(srv!, 'GET', '/api/v1/users/me', { bearer: session })).status).to.equal(401);
    expect((await api(srv!, 'GET', '/api/v1/users/kim')).status).to.equal(404);

    const enabled = await api(srv!, 'PATCH', '/api/v1/admin/users/kim', {
      bearer: ADMIN_KEY,
      body: { disabled: false },
    });
    expect(enabled.status, enabled.text).to.equal(200);
    expect(await tokenStatus(pushKey.key)).to.equal(200);
    expect((await api(srv!, 'GET', '/api/v1/users/me', { bearer: session })).status).to.equal(401);
  });

  it('the audit trail has login, key.created, key.revoked and registry.push with actor and address', async () => {
    const res = await api<{ entries: AuditEntry[] }>(srv!, 'GET', '/api/v1/audit?limit=500', {
      bearer: ADMIN_KEY,
    });
    expect(res.status, res.text).to.equal(200);
    const of = (action: string) =>
      res.body.entries.filter((e) => e.action === action && e.actor === 'kim');
    for (const action of ['login', 'key.created', 'key.revoked', 'registry.push']) {
      const entries = of(action);
      expect(entries, action).to.not.be.empty;
      for (const entry of entries)
        expect(entry.address, `${action} address`).to.match(/^(::ffff:)?127\.0\.0\.1$/);
    }
    expect(of('key.created')).to.have.length(4);
    expect(of('registry.push').map((e) => e.target)).to.include(`kim/demo@${image.digest}`);
    const admin = res.body.entries.filter(
      (e) => e.action === 'user.admin-changed' && e.actor === 'admin' && e.target === 'kim',
    );
    expect(admin).to.have.length(2);
    // kim's own key may not read the audit trail.
    expect((await api(srv!, 'GET', '/api/v1/audit', { bearer: pushKey.key })).status).to.equal(403);
  });
});
