/**
 * Storage quotas per namespace (issue 17 §1), from the outside: the admin sets a quota through
 * the store API; the owner reads the usage; a blob shared by two repositories of the namespace
 * counts once; a push past the limit is refused with OCI DENIED giving usage and limit, at the
 * upload or at the manifest PUT, and leaves nothing of itself (no blob, no upload session); skopeo
 * meets the same refusal; passing the warning level delivers `quota_warning` to a real receiver;
 * `/metrics` has the namespace's gauges.
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, loginWithPhone } from '../helpers/accounts.js';
import { writeImageLayout } from '../helpers/oci-layout.js';
import { sha256, TestRegistryClient, type OciErrorBody } from '../helpers/registry-client.js';
import {
  ADMIN_KEY,
  LOOPBACK_REGISTRIES,
  startTestServer,
  TEST_STORAGE,
  type TestServer,
} from '../helpers/server.js';
import { run, toolAvailable } from '../helpers/tools.js';
import { clientHome, type ClientHome } from '../clients/client-env.js';
import { Receiver } from '../webhooks/receiver.js';
import { cliIn } from '../cli/run-cli.js';
import { CookieBrowser } from '../helpers/cookie-browser.js';

interface Usage {
  usedBytes: number;
  limitBytes: number;
  warnBytes: number;
}

describe('governance: storage quotas', function () {
  this.timeout(90_000);
  let srv: TestServer;
  let receiver: Receiver;
  let owner: string; // quinn's session
  let other: string; // otto's session
  let client: TestRegistryClient;

  const setQuota = (bearer: string, namespace: string, body: unknown) =>
    api<Usage>(srv, 'PUT', `/api/v1/admin/quotas/${namespace}`, { bearer, body });
  const usage = async (bearer = owner, namespace = 'quinn') => {
    const res = await api<Usage>(srv, 'GET', `/api/v1/namespaces/${namespace}/usage`, { bearer });
    expect(res.status, res.text).to.equal(200);
    return res.body;
  };
  const denied = async (res: Response): Promise<string> => {
    expect(res.status).to.equal(403);
    const body = (await res.json()) as OciErrorBody;
    expect(body.errors[0]!.code).to.equal('DENIED');
    return body.errors[0]!.message;
  };

  before(async () => {
    srv = await startTestServer({ webhooks: { allowHosts: LOOPBACK_REGISTRIES } });
    receiver = await Receiver.start();
    owner = (await loginWithPhone(srv, '+4915112348001', 'quinn')).token;
    other = (await loginWithPhone(srv, '+4915112348002', 'otto')).token;
    const key = await api<{ key: string }>(srv, 'POST', '/api/v1/keys', {
      bearer: owner,
      body: { name: 'push', scopes: ['push'] },
    });
    client = new TestRegistryClient(srv.url, { username: 'quinn', password: key.body.key });
  });
  after(async () => {
    await srv?.close();
    await receiver?.close();
  });

  it('only the admin sets a quota; it is validated; only the owner and the admin see the usage', async () => {
    expect((await setQuota(owner, 'quinn', { limitBytes: 10 })).status).to.equal(403);
    expect((await setQuota(ADMIN_KEY, 'quinn', { limitBytes: -1 })).status).to.equal(400);
    expect((await setQuota(ADMIN_KEY, 'quinn', { limitBytes: 10, warnBytes: 20 })).status).to.equal(
      400,
    );
    expect((await setQuota(ADMIN_KEY, 'nobody', { limitBytes: 10 })).status).to.equal(404);
    expect(await usage()).to.deep.equal({ usedBytes: 0, limitBytes: 0, warnBytes: 0 });
    const byOther = await api(srv, 'GET', '/api/v1/namespaces/quinn/usage', { bearer: other });
    expect(byOther.status).to.equal(403);
    const anonymous = await api(srv, 'GET', '/api/v1/namespaces/quinn/usage');
    expect(anonymous.status).to.equal(401);
    expect(await usage(ADMIN_KEY)).to.include({ usedBytes: 0 });
  });

  it('counts a blob shared by two repositories of the namespace once', async () => {
    const layer = randomBytes(4096);
    expect((await client.pushBlob('quinn/a', layer)).status).to.equal(201);
    const once = (await usage()).usedBytes;
    expect(once).to.equal(4096);
    expect((await client.pushBlob('quinn/b', layer)).status).to.equal(201);
    // A mount from a repository of the namespace adds nothing either.
    const mount = await client.request(
      'POST',
      `/v2/quinn/c/blobs/uploads/?mount=${sha256(layer)}&from=quinn/a`,
      { scope: 'repository:quinn/c:pull,push repository:quinn/a:pull' },
    );
    expect(mount.status).to.be.oneOf([201, 202]);
    expect((await usage()).usedBytes).to.equal(4096);
    const image = await client.pushImage('quinn/a', 'v1');
    expect((await usage()).usedBytes).to.be.greaterThan(4096);
    expect(image.digest).to.match(/^sha256:/);
  });

  it('delivers quota_warning to a real receiver when usage passes the warning level, once', async () => {
    const hook = await api(srv, 'POST', '/api/v1/namespaces/quinn/webhooks', {
      bearer: owner,
      body: { url: receiver.url, events: ['quota_warning'], secret: 'quota-warning-secret-1' },
    });
    expect(hook.status, hook.text).to.equal(201);
    const used = (await usage()).usedBytes;
    const set = await setQuota(ADMIN_KEY, 'quinn', {
      limitBytes: used + 20_000,
      warnBytes: used + 1000,
    });
    expect(set.status, set.text).to.equal(200);
    expect(set.body).to.deep.equal({
      usedBytes: used,
      limitBytes: used + 20_000,
      warnBytes: used + 1000,
    });
    expect((await client.pushBlob('quinn/a', randomBytes(2000))).status).to.equal(201);
    const [warning] = await receiver.waitFor(
      (r) => r.headers['x-appshelf-event'] === 'quota_warning',
    );
    const payload = JSON.parse(warning!.body) as { namespace: string; data: Usage };
    expect(payload.namespace).to.equal('quinn');
    expect(payload.data).to.deep.equal({
      usedBytes: used + 2000,
      warnBytes: used + 1000,
      limitBytes: used + 20_000,
    });
    // Still above the level: no second warning.
    expect((await client.pushBlob('quinn/a', randomBytes(100))).status).to.equal(201);
    await new Promise((done) => setTimeout(done, 1500));
    expect(
      receiver.received.filter((r) => r.headers['x-appshelf-event'] === 'quota_warning'),
    ).to.have.length(1);
  });

  it('refuses a blob upload past the limit with DENIED, leaving no blob and no session', async () => {
    const before = await usage();
    const room = before.limitBytes - before.usedBytes;
    const big = randomBytes(room + 1);
    // Chunked: POST, PATCH, PUT; the PATCH that takes the upload past the limit ends it.
    const start = await client.request('POST', '/v2/quinn/a/blobs/uploads/');
    expect(start.status).to.equal(202);
    const location = start.headers.get('location')!;
    const patch = await client.request('PATCH', location, {
      body: big,
      headers: { 'content-type': 'application/octet-stream' },
    });
    const message = await denied(patch);
    expect(message).to.contain('storage quota of quinn exceeded').and.to.contain('used of');
    const status = await client.request('GET', location, { scope: 'repository:quinn/a:pull,push' });
    expect(status.status).to.equal(404); // the upload session is gone

    // Monolithic (POST + PUT): refused at the closing PUT; nothing of it is visible.
    const put = await client.pushBlob('quinn/a', big);
    expect(put.status).to.equal(403);
    const head = await client.request('HEAD', `/v2/quinn/a/blobs/${sha256(big)}`);
    expect(head.status).to.equal(404);
    // One request (POST ?digest= with the body): refused by its declared length.
    const single = await client.request(
      'POST',
      `/v2/quinn/a/blobs/uploads/?digest=${sha256(big)}`,
      {
        body: big,
        headers: { 'content-type': 'application/octet-stream' },
      },
    );
    await denied(single);
    expect((await usage()).usedBytes).to.equal(before.usedBytes);
    // No staged bytes are left of the refused uploads (fs: the staging folder; S3: aborted parts).
    if (TEST_STORAGE === 'fs')
      expect(await readdir(join(srv.data, 'uploads')).catch(() => [])).to.deep.equal([]);
    // A blob the namespace holds already needs no room.
    const shared = randomBytes(10);
    expect((await client.pushBlob('quinn/a', shared)).status).to.equal(201);
    expect((await client.pushBlob('quinn/d', shared)).status).to.equal(201);
  });

  it('refuses a manifest PUT past the limit with DENIED', async () => {
    const { usedBytes } = await usage();
    const config = Buffer.from('{}');
    expect((await client.pushBlob('quinn/m', config)).status).to.equal(201);
    const settled = (await usage()).usedBytes;
    await setQuota(ADMIN_KEY, 'quinn', { limitBytes: settled + 50, warnBytes: 0 });
    const manifest = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: sha256(config),
        size: 2,
      },
      layers: [],
      annotations: { padding: 'x'.repeat(200) },
    };
    const message = await denied(await client.pushManifest('quinn/m', 'big', manifest));
    expect(message).to.contain(`used of`);
    const res = await client.request('HEAD', '/v2/quinn/m/manifests/big');
    expect(res.status).to.equal(404);
    expect(usedBytes).to.be.at.most(settled);
  });

  it('skopeo copy into a namespace over its quota is refused with DENIED', async function () {
    if (!toolAvailable('skopeo')) return this.skip();
    const home: ClientHome = await clientHome('quota');
    const dir = await mkdtemp(join(tmpdir(), 'appshelf-quota-'));
    try {
      await writeImageLayout(join(dir, 'layout'), 'demo');
      const key = await api<{ key: string }>(srv, 'POST', '/api/v1/keys', {
        bearer: owner,
        body: { name: 'skopeo', scopes: ['push'] },
      });
      const { usedBytes } = await usage();
      await setQuota(ADMIN_KEY, 'quinn', { limitBytes: usedBytes + 10, warnBytes: 0 });
      const copy = await run(
        'skopeo',
        [
          '--policy',
          home.policy,
          'copy',
          '--retry-times',
          '0',
          '--dest-tls-verify=false',
          '--dest-creds',
          `quinn:${key.body.key}`,
          `oci:${join(dir, 'layout')}:demo`,
          `docker://${srv.host}/quinn/skopeo:1`,
        ],
        { env: home.env, allowFailure: true, timeoutMs: 30_000 },
      );
      expect(copy.code).to.not.equal(0);
      expect(copy.stderr).to.match(/denied/i);
      expect(copy.stderr).to.contain('storage quota of quinn exceeded');
      expect((await usage()).usedBytes).to.equal(usedBytes);
    } finally {
      await rm(dir, { recursive: true, force: true });
      await rm(home.dir, { recursive: true, force: true });
    }
  });

  it('/metrics has the used, limit and warning gauges of namespaces with a quota', async () => {
    const { usedBytes, limitBytes } = await usage();
    const text = await (await fetch(`${srv.url}/metrics`)).text();
    expect(text).to.contain(`appshelf_namespace_used_bytes{namespace="quinn"} ${usedBytes}`);
    expect(text).to.contain(`appshelf_namespace_limit_bytes{namespace="quinn"} ${limitBytes}`);
    expect(text).to.contain(`appshelf_namespace_warn_bytes{namespace="quinn"} 0`);
    expect(text).to.not.contain('appshelf_namespace_used_bytes{namespace="otto"}');
  });

  it('the CLI sets a quota: appshelf admin quota set <ns> --limit 10GiB --warn 8GiB', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'appshelf-quota-cli-'));
    try {
      const store = (key: string) =>
        JSON.stringify({
          defaultStore: srv.host,
          stores: { [srv.host]: { url: srv.url, username: 'admin', key } },
        });
      await writeFile(join(dir, 'config.json'), store(ADMIN_KEY), { mode: 0o600 });
      const cli = cliIn(() => dir);
      const out = await cli.ok([
        'admin',
        'quota',
        'set',
        'otto',
        '--limit',
        '10GiB',
        '--warn',
        '8GiB',
      ]);
      expect(out).to.contain('otto: 0 B used of 10 GiB, warning at 8.0 GiB');
      expect(await usage(ADMIN_KEY, 'otto')).to.deep.equal({
        usedBytes: 0,
        limitBytes: 10 * 2 ** 30,
        warnBytes: 8 * 2 ** 30,
      });
      const bad = await cli.run(['admin', 'quota', 'set', 'otto', '--limit', 'lots']);
      expect(bad.code).to.not.equal(0);
      expect(bad.stderr).to.contain('a size like 10GiB');
      const cleared = await cli.okJson<Usage>(['admin', 'quota', 'set', 'otto', '--limit', '0']);
      expect(cleared).to.include({ limitBytes: 0, warnBytes: 0 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the web: the admin sets a quota on the admin page, the owner sees the usage on My store', async () => {
    const admin = new CookieBrowser(srv);
    await admin.request('POST', '/login', {
      _csrf: await admin.token(),
      action: 'key',
      key: ADMIN_KEY,
      next: '/admin',
    });
    const page = await admin.request('GET', '/admin');
    expect(page.text).to.contain('Storage quotas');
    const set = await admin.request('POST', '/admin/quotas', {
      _csrf: await admin.token('/admin'),
      namespace: 'quinn',
      limit: '1GiB',
      warn: '512MiB',
    });
    expect(set.status, set.text).to.equal(303);
    expect(await usage()).to.include({ limitBytes: 2 ** 30, warnBytes: 2 ** 29 });
    const listed = await admin.request('GET', '/admin');
    expect(listed.text).to.match(
      /<th scope="row">quinn<\/th><td>[^<]+<\/td><td>1 GiB<\/td><td>512 MiB<\/td>/,
    );
    const bad = await admin.request('POST', '/admin/quotas', {
      _csrf: await admin.token('/admin'),
      namespace: 'quinn',
      limit: 'plenty',
    });
    expect(bad.status).to.equal(400);
    expect(bad.text).to.contain('a size like 10GiB');

    // The owner's and another user's sessions (made through the API) in the web.
    const page$ = (session: string, path: string) =>
      new CookieBrowser(srv).request('GET', path, undefined, {
        cookie: `appshelf_session=${session}`,
      });
    const mine = await page$(owner, '/my');
    expect(mine.text).to.match(
      /data-namespace="quinn">Storage: <span data-used>[^<]+<\/span> used of <span data-limit>1 GiB<\/span>; warning at 512 MiB/,
    );
    expect((await page$(other, '/my')).text).to.not.contain('data-namespace="quinn"');
    expect((await page$(other, '/admin')).status).to.equal(403);
  });

  it('with zeros the quota goes: pushes pass again', async () => {
    const cleared = await setQuota(ADMIN_KEY, 'quinn', { limitBytes: 0, warnBytes: 0 });
    expect(cleared.status).to.equal(200);
    expect(cleared.body).to.include({ limitBytes: 0, warnBytes: 0 });
    expect((await client.pushBlob('quinn/a', randomBytes(50_000))).status).to.equal(201);
  });
});
