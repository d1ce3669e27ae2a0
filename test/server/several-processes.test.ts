/**
 * Two real store processes (`server/main.ts` as child processes), each with a data folder of its
 * own, on one PostgreSQL database and one S3 bucket, with the same `server.secretKey`: what a
 * balancer in front of them needs them to be, one store. A push through one is pulled from the
 * other; an upload alternates between them chunk by chunk; a code sent by one logs in on the other,
 * and the session, its form tokens, a key made with it and a registry token work on both; GC on
 * one while pushing through the other loses nothing; killing one mid-upload loses nothing, and
 * the client resumes through the other.
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { clientHome, type ClientHome } from '../clients/client-env.js';
import { api } from '../helpers/accounts.js';
import { CookieBrowser, type BrowsedStore } from '../helpers/cookie-browser.js';
import { dropPgDatabase, pgDatabaseUrl } from '../helpers/dialects.js';
import { writeImageLayout } from '../helpers/oci-layout.js';
import { sha256, TestRegistryClient } from '../helpers/registry-client.js';
import { s3Storage, startS3rver, type S3Server } from '../helpers/s3rver.js';
import { ADMIN_KEY } from '../helpers/server.js';
import {
  killStore,
  startStoreProcess,
  until,
  type StoreProcess,
} from '../helpers/store-process.js';
import { GeneratedBlob, send } from '../helpers/streaming.js';
import { run } from '../helpers/tools.js';

const MiB = 1024 * 1024;
const DATABASE = `several_${process.pid}`;
const SECRET_KEY = randomBytes(32).toString('base64');

/** A process as the web tests' cookie browser sees a store: its address and what it printed. */
const browsed = (p: StoreProcess): BrowsedStore => ({ url: p.url, logs: p.output });

describe('several store processes on one PostgreSQL and one S3 bucket', function () {
  this.timeout(180_000);
  let s3: S3Server;
  const folders: string[] = [];
  const children: StoreProcess[] = [];
  let a: StoreProcess;
  let b: StoreProcess;
  let home: ClientHome;

  async function startProcess(config: object): Promise<StoreProcess> {
    const data = await mkdtemp(join(tmpdir(), 'appshelf-several-'));
    folders.push(data);
    await writeFile(join(data, 'config.yml'), stringify(config));
    const child = await startStoreProcess(data, 60_000);
    children.push(child);
    return child;
  }

  before(async () => {
    s3 = await startS3rver();
    const config = {
      storage: s3Storage(s3, 'several/'),
      database: { url: await pgDatabaseUrl(DATABASE) },
      server: { secretKey: SECRET_KEY },
      sms: { provider: 'log' },
    };
    a = await startProcess(config);
    b = await startProcess(config);
    home = await clientHome('several');
  });

  after(async () => {
    for (const child of children) await killStore(child);
    await s3?.close();
    await dropPgDatabase(DATABASE).catch(() => undefined);
    for (const folder of folders) await rm(folder, { recursive: true, force: true });
    if (home) await rm(home.dir, { recursive: true, force: true });
  });

  it('pulls through one what skopeo pushed through the other', async () => {
    const src = join(home.dir, 'src');
    const { digest } = await writeImageLayout(src, 'v1');
    const skopeo = (args: string[]) =>
      run('skopeo', ['--policy', home.policy, ...args], { env: home.env, timeoutMs: 50_000 });
    const creds = `admin:${ADMIN_KEY}`;
    const [hostA, hostB] = [a, b].map((p) => new URL(p.url).host);
    await skopeo([
      'copy',
      '--quiet',
      '--dest-tls-verify=false',
      '--dest-creds',
      creds,
      `oci:${src}:v1`,
      `docker://${hostA}/admin/app:v1`,
    ]);
    const out = join(home.dir, 'out');
    await skopeo([
      'copy',
      '--quiet',
      '--src-tls-verify=false',
      '--src-creds',
      creds,
      `docker://${hostB}/admin/app:v1`,
      `oci:${out}:v1`,
    ]);
    const { stdout } = await skopeo([
      'inspect',
      '--raw',
      '--tls-verify=false',
      '--creds',
      creds,
      `docker://${hostB}/admin/app:v1`,
    ]);
    expect(sha256(Buffer.from(stdout, 'utf8'))).to.equal(digest);
  });

  it('completes an upload whose chunks alternate between the processes', async () => {
    const chunks = [randomBytes(6 * MiB), randomBytes(100_000), randomBytes(5 * MiB + 7)];
    const whole = Buffer.concat(chunks);
    const clients = [new TestRegistryClient(a.url), new TestRegistryClient(b.url)];
    const scope = { scope: 'repository:admin/chunks:pull,push' };
    const started = await clients[0]!.request('POST', '/v2/admin/chunks/blobs/uploads/', scope);
    expect(started.status).to.equal(202);
    let location = started.headers.get('location')!;
    let offset = 0;
    for (const [i, chunk] of chunks.entries()) {
      const res = await clients[(i + 1) % 2]!.request('PATCH', location, {
        ...scope,
        body: chunk,
        headers: {
          'content-type': 'application/octet-stream',
          'content-range': `${offset}-${offset + chunk.length - 1}`,
        },
      });
      expect(res.status, `chunk ${i}: ${await res.clone().text()}`).to.equal(202);
      offset += chunk.length;
      expect(res.headers.get('range')).to.equal(`0-${offset - 1}`);
      location = res.headers.get('location')!;
    }
    const done = await clients[0]!.request('PUT', withDigest(location, sha256(whole)), scope);
    expect(done.status, await done.clone().text()).to.equal(201);
    const pulled = await clients[1]!.pullBlob('admin/chunks', sha256(whole));
    expect([pulled.status, pulled.digest, pulled.size]).to.deep.equal([
      200,
      sha256(whole),
      whole.length,
    ]);
  });

  it('logs in on one with the code the other sent; the session, its forms, a key and a token work on both', async () => {
    const phone = '+8613800138011';
    const asked = await api(a, 'POST', '/api/v1/auth/code', { body: { phone } });
    expect(asked.status, asked.text).to.equal(202);
    let code: string | undefined;
    await until('the code line', () => {
      code = a.output
        .map((l) => /verification code for \+\d+ is (\d+) /.exec(l)?.[1])
        .find(Boolean);
      return code !== undefined;
    });
    const login = await api<{ token: string; user: { name: string } }>(
      b,
      'POST',
      '/api/v1/auth/login',
      {
        body: { phone, code, name: 'alice' },
      },
    );
    expect(login.status, login.text).to.equal(201);
    const session = login.body.token;
    for (const p of [a, b]) {
      const me = await api<{ name: string }>(p, 'GET', '/api/v1/users/me', { session });
      expect([me.status, me.body.name], p.url).to.deep.equal([200, 'alice']);
    }

    // A web form rendered by one process is accepted by the other (the CSRF key is shared).
    const browser = new CookieBrowser(browsed(a));
    await browser.signIn('+8613800138012', 'bob'); // a new code is refused so soon for alice's phone
    const token = await browser.token('/my/keys');
    const made = await browser.on(browsed(b)).request('POST', '/my/keys', {
      _csrf: token,
      name: 'ci',
      scopes: 'push',
      expiresInDays: '30',
    });
    expect(made.status, made.text.slice(0, 300)).to.equal(200);
    const key = /ask_[A-Za-z0-9_-]+/.exec(made.text)?.[0];
    expect(key, 'the new key on the page').to.be.a('string');

    // The key made through b gets a registry token from a, and a's token is honoured by b.
    const viaA = new TestRegistryClient(a.url, { username: 'bob', password: key! });
    const pushToken = await viaA.token('repository:bob/app:pull,push');
    expect(pushToken, 'token from a for the key made on b').to.be.a('string');
    const started = await fetch(`${b.url}/v2/bob/app/blobs/uploads/`, {
      method: 'POST',
      headers: { authorization: `Bearer ${pushToken}` },
    });
    expect(started.status, 'b honours the token a signed').to.equal(202);
  });

  it('loses nothing tagged when one collects garbage while the other pushes', async () => {
    const viaB = new TestRegistryClient(b.url);
    const pushes: Promise<{ tag: string; ok: boolean }>[] = [];
    const reports: number[] = [];
    for (let i = 0; i < 8; i++) {
      const tag = `t${i}`;
      pushes.push(
        viaB.pushImage('admin/gc', tag).then(
          () => ({ tag, ok: true }),
          () => ({ tag, ok: false }),
        ),
      );
      if (i % 2 === 0) reports.push((await gc(a.url)).status);
    }
    const pushed = await Promise.all(pushes);
    reports.push((await gc(a.url)).status);
    expect(
      reports.every((s) => s === 200),
      `gc answers ${reports.join(',')}`,
    ).to.equal(true);
    const viaA = new TestRegistryClient(a.url);
    for (const { tag } of pushed.filter((p) => p.ok)) {
      const manifest = await viaA.request('GET', `/v2/admin/gc/manifests/${tag}`);
      expect(manifest.status, tag).to.equal(200);
      const { layers } = (await manifest.json()) as { layers: { digest: string }[] };
      for (const layer of layers)
        expect((await viaA.pullBlob('admin/gc', layer.digest)).status, `${tag} layer`).to.equal(
          200,
        );
    }
    expect(pushed.filter((p) => p.ok).length, 'pushes that landed').to.be.greaterThan(0);
  });

  it('loses nothing when one is killed mid-upload: the client resumes through the other', async () => {
    const blob = new GeneratedBlob(20 * MiB);
    const first = 8 * MiB;
    const viaA = new TestRegistryClient(a.url);
    const scope = { scope: 'repository:admin/resume:pull,push' };
    const authorization = `Bearer ${await viaA.token(scope.scope)}`;
    const started = await viaA.request('POST', '/v2/admin/resume/blobs/uploads/', scope);
    const location = started.headers.get('location')!;
    const chunk = await send(
      a.url,
      'PATCH',
      location,
      { authorization, 'content-range': `0-${first - 1}`, 'content-length': first },
      blob.chunks(0, first),
    );
    expect([chunk.status, chunk.headers.range]).to.deep.equal([202, `0-${first - 1}`]);
    // The rest in flight to a, cut after 6 MiB by SIGKILL.
    const cut = send(
      a.url,
      'PUT',
      withDigest(location, blob.digest),
      {
        authorization,
        'content-range': `${first}-${blob.size - 1}`,
        'content-length': blob.size - first,
      },
      blob.chunks(first),
      6 * MiB,
    ).catch((err: Error) => err);
    await new Promise((r) => setTimeout(r, 500));
    await killStore(a);
    expect(await cut).to.be.instanceOf(Error);

    // b reports what the store holds of the upload; the client sends the rest from there.
    const viaB = new TestRegistryClient(b.url);
    const status = await viaB.request('GET', location, scope);
    expect(status.status).to.equal(204);
    const held = Number(/^0-(\d+)$/.exec(status.headers.get('range') ?? '')?.[1]) + 1;
    expect(held, 'bytes the store holds').to.be.at.least(first).and.at.most(blob.size);
    const resumed = await send(
      b.url,
      'PUT',
      withDigest(location, blob.digest),
      {
        authorization: `Bearer ${await viaB.token(scope.scope)}`,
        'content-range': `${held}-${blob.size - 1}`,
        'content-length': blob.size - held,
      },
      blob.chunks(held),
    );
    expect([resumed.status, resumed.headers['docker-content-digest']]).to.deep.equal([
      201,
      blob.digest,
    ]);
    const pulled = await viaB.pullBlob('admin/resume', blob.digest);
    expect([pulled.status, pulled.digest, pulled.size]).to.deep.equal([
      200,
      blob.digest,
      blob.size,
    ]);
    // What was pushed before the kill is all still there through b.
    const earlier = await viaB.request('GET', '/v2/admin/app/manifests/v1');
    expect(earlier.status).to.equal(200);
  });
});

function withDigest(location: string, digest: string): string {
  return `${location}${location.includes('?') ? '&' : '?'}digest=${digest}`;
}

function gc(url: string): Promise<Response> {
  return fetch(`${url}/api/v1/admin/gc?graceSeconds=0`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_KEY}` },
  });
}
