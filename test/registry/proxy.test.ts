/**
 * The pull-through cache (issue 14 §1) against a real CNCF Distribution upstream on loopback,
 * seen through a counting proxy: byte-exact manifests and blobs by prefix and by `ns=`, twenty
 * concurrent pulls coalesced into one upstream GET, no refetch by digest, streaming while
 * storing, an upstream dying mid-copy, a client hanging up, serve-stale with the upstream down,
 * read-only proxied repositories, maxBytes eviction and the admin stats.
 */
import { expect } from 'chai';
import { request } from 'node:http';
import { RegistryClient } from '../../registry/client/index.js';
import { startCountingProxy, type CountingProxy } from '../helpers/counting-proxy.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import {
  distributionAvailable,
  DISTRIBUTION_USER,
  startDistribution,
  type DistributionServer,
} from './client/distribution.js';
import { buildImage, pushBuilt, type BuiltManifest } from './client/images.js';

const SCHEMA2 = 'application/vnd.docker.distribution.manifest.v2+json';

function proxyConfig(front: CountingProxy, extra: Record<string, unknown> = {}) {
  return {
    name: 'up',
    upstream: front.url,
    hosts: ['upstream.example'],
    username: DISTRIBUTION_USER.username,
    password: DISTRIBUTION_USER.password,
    anonymousPull: true,
    tagTtlSeconds: 1,
    timeoutSeconds: 3,
    ...extra,
  };
}

async function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const res = await fetch(url, {
    headers: { accept: `${SCHEMA2}, application/vnd.oci.image.manifest.v1+json`, ...headers },
  });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/**
 * A HEAD of the blob through the store: a client's pull ends with the blob's last byte, while
 * the store may still be finishing its copy; a request for it meanwhile waits for the copy.
 */
async function headThrough(url: string): Promise<number> {
  return (await fetch(url, { method: 'HEAD' })).status;
}

describe('registry: pull-through cache of a Distribution upstream', function () {
  this.timeout(60_000);
  let dist: DistributionServer;
  let front: CountingProxy;
  let srv: TestServer;
  let upstream: RegistryClient;
  let image: BuiltManifest;

  before(async function () {
    if (!distributionAvailable()) return this.skip();
    dist = await startDistribution();
    front = await startCountingProxy(dist.url);
    srv = await startTestServer({ registry: { proxies: [proxyConfig(front)] } });
    upstream = new RegistryClient({ host: dist.host, credentials: DISTRIBUTION_USER });
    image = buildImage({ layerSizes: [1000, 3 * 1024 * 1024], docker: true });
    await pushBuilt(upstream, 'library/app', image, '1.0');
  });
  after(async () => {
    await srv?.close();
    await front?.close();
    await dist?.close();
  });

  afterEach(() => {
    if (front) front.fault = undefined;
  });

  it('serves a tag by prefix byte for byte, media type kept (Docker schema 2 stays schema 2)', async () => {
    const res = await get(`${srv.url}/v2/up/library/app/manifests/1.0`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.equal(SCHEMA2);
    expect(res.headers.get('docker-content-digest')).to.equal(image.desc.digest);
    expect(res.body.equals(image.bytes)).to.equal(true);
    const config = image.blobs[0]!;
    const blob = await get(`${srv.url}/v2/up/library/app/blobs/${config.desc.digest}`);
    expect(blob.status).to.equal(200);
    expect(blob.body.equals(config.bytes)).to.equal(true);
  });

  it('coalesces 20 concurrent pulls of an uncached blob into one upstream GET, and never refetches by digest', async () => {
    const layer = image.blobs[2]!;
    const path = `/v2/library/app/blobs/${layer.desc.digest}`;
    const bodies = await Promise.all(
      Array.from({ length: 20 }, () =>
        get(`${srv.url}/v2/up/library/app/blobs/${layer.desc.digest}`),
      ),
    );
    for (const b of bodies) {
      expect(b.status).to.equal(200);
      expect(b.body.equals(layer.bytes)).to.equal(true);
    }
    expect(front.count('GET', path)).to.equal(1);
    const before = front.requests.length;
    await get(`${srv.url}/v2/up/library/app/blobs/${layer.desc.digest}`);
    await get(`${srv.url}/v2/up/library/app/manifests/${image.desc.digest}`);
    expect(front.requests.length, front.requests.slice(before).join('\n')).to.equal(before);
  });

  it('a containerd ?ns= request maps to the proxy whose hosts name it (same cache)', async () => {
    const before = front.requests.length;
    const res = await get(
      `${srv.url}/v2/library/app/manifests/${image.desc.digest}?ns=upstream.example`,
    );
    expect(res.status).to.equal(200);
    expect(res.body.equals(image.bytes)).to.equal(true);
    expect(front.requests.length).to.equal(before);
    const local = await get(`${srv.url}/v2/library/app/manifests/${image.desc.digest}`);
    expect(local.status).to.equal(401); // no ns=, no mirror: a local repository like any other
  });

  it('streams the first bytes to the client before the upstream transfer ends', async () => {
    const fresh = buildImage({ layerSizes: [2 * 1024 * 1024] });
    await pushBuilt(upstream, 'library/slow', fresh, 'v1');
    const layer = fresh.blobs[1]!;
    front.fault = {
      match: (p) => p.endsWith(layer.desc.digest),
      after: 256 * 1024,
      kind: 'pause',
      pauseMs: 1500,
    };
    front.faultEndedAt = undefined;
    const firstByteAt = await new Promise<number>((resolve, reject) => {
      const req = request(`${srv.url}/v2/up/library/slow/blobs/${layer.desc.digest}`, (res) => {
        res.once('data', () => resolve(Date.now()));
        res.resume();
      });
      req.on('error', reject);
      req.end();
    });
    while (front.faultEndedAt === undefined) await sleep(50);
    expect(firstByteAt).to.be.lessThan(front.faultEndedAt - 1000);
  });

  it('a client that hangs up does not abort the copy into the store', async () => {
    const fresh = buildImage({ layerSizes: [2 * 1024 * 1024] });
    await pushBuilt(upstream, 'library/hangup', fresh, 'v1');
    const layer = fresh.blobs[1]!;
    front.fault = {
      match: (p) => p.endsWith(layer.desc.digest),
      after: 64 * 1024,
      kind: 'pause',
      pauseMs: 800,
    };
    await new Promise<void>((resolve) => {
      const req = request(`${srv.url}/v2/up/library/hangup/blobs/${layer.desc.digest}`, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => resolve());
      req.end();
    });
    const deadline = Date.now() + 10_000;
    while (
      (await srv.app.registry.meta.blobSize(layer.desc.digest)) === undefined &&
      Date.now() < deadline
    )
      await sleep(100);
    expect(await srv.app.registry.meta.blobSize(layer.desc.digest)).to.equal(layer.desc.size);
    const again = await get(`${srv.url}/v2/up/library/hangup/blobs/${layer.desc.digest}`);
    expect(again.body.equals(layer.bytes)).to.equal(true);
    expect(front.count('GET', `/v2/library/hangup/blobs/${layer.desc.digest}`)).to.equal(1);
  });

  it('the upstream dying mid-copy leaves nothing half fetched; the next pull completes', async () => {
    const fresh = buildImage({ layerSizes: [1024 * 1024] });
    await pushBuilt(upstream, 'library/cut', fresh, 'v1');
    const layer = fresh.blobs[1]!;
    front.fault = { match: (p) => p.endsWith(layer.desc.digest), after: 300 * 1024, kind: 'cut' };
    const url = `${srv.url}/v2/up/library/cut/blobs/${layer.desc.digest}`;
    const cut = await fetch(url)
      .then(
        async (res) => Buffer.from(await res.arrayBuffer()).length,
        () => -1,
      )
      .catch(() => -1);
    expect(cut).to.not.equal(layer.desc.size);
    await sleep(200);
    expect(await srv.app.registry.meta.blobSize(layer.desc.digest)).to.equal(undefined);
    front.fault = undefined;
    const whole = await get(url);
    expect(whole.status).to.equal(200);
    expect(whole.body.equals(layer.bytes)).to.equal(true);
    expect(await headThrough(url)).to.equal(200);
    expect(await srv.app.registry.meta.blobSize(layer.desc.digest)).to.equal(layer.desc.size);
  });

  it('re-checks a tag after its TTL with a HEAD, and follows a moved tag', async () => {
    const v1 = buildImage({ layerSizes: [100] });
    await pushBuilt(upstream, 'library/moving', v1, 'latest');
    expect(
      (await get(`${srv.url}/v2/up/library/moving/manifests/latest`)).body.equals(v1.bytes),
    ).to.equal(true);
    const within = front.requests.length;
    await get(`${srv.url}/v2/up/library/moving/manifests/latest`);
    expect(front.requests.length, 'within the TTL nothing is asked').to.equal(within);
    const v2 = buildImage({ layerSizes: [100] });
    await pushBuilt(upstream, 'library/moving', v2, 'latest');
    await sleep(1100);
    const moved = await get(`${srv.url}/v2/up/library/moving/manifests/latest`);
    expect(moved.body.equals(v2.bytes)).to.equal(true);
    expect(front.count('HEAD', '/v2/library/moving/manifests/latest')).to.equal(1);
  });

  it('serves what it holds with the upstream down (tags past their TTL too); uncached gets a prompt 503 naming the upstream', async () => {
    await get(`${srv.url}/v2/up/library/app/manifests/1.0`);
    await sleep(1100);
    await front.stop();
    try {
      const started = Date.now();
      const stale = await get(`${srv.url}/v2/up/library/app/manifests/1.0`);
      expect(stale.status).to.equal(200);
      expect(stale.body.equals(image.bytes)).to.equal(true);
      const missing = await get(`${srv.url}/v2/up/library/app/manifests/2.0`);
      expect(missing.status).to.equal(503);
      const body = JSON.parse(missing.body.toString()) as {
        errors: { code: string; message: string }[];
      };
      expect(body.errors[0]!.code).to.equal('UNAVAILABLE');
      expect(body.errors[0]!.message).to.contain(front.url);
      expect(Date.now() - started).to.be.lessThan(10_000);
    } finally {
      await front.start();
    }
  });

  it('proxied repositories are read-only', async () => {
    const res = await fetch(`${srv.url}/v2/up/library/app/blobs/uploads/`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`admin:${ADMIN_KEY}`).toString('base64')}` },
    });
    expect(res.status).to.equal(405);
    const body = (await res.json()) as { errors: { code: string }[] };
    expect(body.errors[0]!.code).to.equal('UNSUPPORTED');
  });

  it('GET /api/v1/admin/proxies shows what each cache holds and how it served', async () => {
    const res = await fetch(`${srv.url}/api/v1/admin/proxies`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    expect(res.status).to.equal(200);
    const { items } = (await res.json()) as { items: Record<string, unknown>[] };
    expect(items).to.have.length(1);
    const item = items[0]!;
    expect(Object.keys(item).sort()).to.deep.equal(
      ['bytes', 'hits', 'misses', 'name', 'repositories', 'upstream', 'upstreamErrors'].sort(),
    );
    expect(item.name).to.equal('up');
    expect(item.upstream).to.equal(front.url);
    expect(item.repositories).to.be.at.least(5);
    expect(item.bytes).to.be.greaterThan(3 * 1024 * 1024);
    expect(item.hits).to.be.greaterThan(0);
    expect(item.misses).to.be.greaterThan(0);
    expect(item.upstreamErrors).to.be.greaterThan(0);
    const anonymous = await fetch(`${srv.url}/api/v1/admin/proxies`);
    expect(anonymous.status).to.equal(401);
  });
});

describe('registry: pull-through cache limits', function () {
  this.timeout(60_000);
  let dist: DistributionServer;
  let front: CountingProxy;
  let srv: TestServer;
  let upstream: RegistryClient;

  before(async function () {
    if (!distributionAvailable()) return this.skip();
    dist = await startDistribution();
    front = await startCountingProxy(dist.url);
    srv = await startTestServer({
      registry: {
        proxies: [proxyConfig(front, { anonymousPull: false, maxBytes: 1_500_000 })],
      },
    });
    upstream = new RegistryClient({ host: dist.host, credentials: DISTRIBUTION_USER });
  });
  after(async () => {
    await srv?.close();
    await front?.close();
    await dist?.close();
  });

  it('without anonymousPull, an anonymous pull is challenged and a signed-in one goes through', async () => {
    const img = buildImage({ layerSizes: [100] });
    await pushBuilt(upstream, 'library/private', img, 'v1');
    expect((await get(`${srv.url}/v2/up/library/private/manifests/v1`)).status).to.equal(401);
    const client = new RegistryClient({
      host: srv.host,
      credentials: { username: 'admin', password: ADMIN_KEY },
    });
    const fetched = await client.fetchManifest('up/library/private', 'v1');
    expect(fetched.bytes.equals(img.bytes)).to.equal(true);
  });

  it('evicts the least recently pulled content beyond maxBytes', async () => {
    const client = new RegistryClient({
      host: srv.host,
      credentials: { username: 'admin', password: ADMIN_KEY },
    });
    const a = buildImage({ layerSizes: [1_000_000] });
    const b = buildImage({ layerSizes: [1_000_000] });
    await pushBuilt(upstream, 'library/a', a, 'v1');
    await pushBuilt(upstream, 'library/b', b, 'v1');
    const pullLayer = async (repo: string, built: BuiltManifest): Promise<void> => {
      const layer = built.blobs[1]!;
      const stream = await client.fetchBlob(`up/${repo}`, layer.desc);
      for await (const _ of stream) void _;
    };
    await pullLayer('library/a', a);
    await sleep(20);
    await pullLayer('library/b', b);
    // Stored, and what it pushed out evicted, once a request for it is answered.
    expect(await client.blobExists('up/library/b', b.blobs[1]!.desc.digest)).to.equal(true);
    const aLayer = a.blobs[1]!.desc.digest;
    expect(await srv.app.registry.meta.repositoryBlobSize('up/library/a', aLayer)).to.equal(
      undefined,
    );
    expect(
      await srv.app.registry.meta.repositoryBlobSize('up/library/b', b.blobs[1]!.desc.digest),
    ).to.equal(1_000_000);
    const [item] = await srv.app.registry.proxyStats();
    expect(item!.bytes).to.be.at.most(1_500_000);
  });
});

describe('registry: pull-through cache of an upstream with Docker Hub style token auth', function () {
  this.timeout(60_000);
  let dist: DistributionServer;
  let front: CountingProxy;
  let srv: TestServer;

  before(async function () {
    if (!distributionAvailable()) return this.skip();
    dist = await startDistribution();
    const basic = Buffer.from(`${DISTRIBUTION_USER.username}:${DISTRIBUTION_USER.password}`);
    front = await startCountingProxy(dist.url, {
      tokenAuth: {
        username: 'hub-user',
        password: 'hub-token-secret',
        upstreamAuthorization: `Basic ${basic.toString('base64')}`,
      },
    });
    srv = await startTestServer({
      registry: {
        proxies: [proxyConfig(front, { username: 'hub-user', password: 'hub-token-secret' })],
      },
    });
  });
  after(async () => {
    await srv?.close();
    await front?.close();
    await dist?.close();
  });

  it('answers the Bearer challenge at the token realm with the proxy credentials', async () => {
    const upstream = new RegistryClient({ host: dist.host, credentials: DISTRIBUTION_USER });
    const img = buildImage({ layerSizes: [5000], docker: true });
    await pushBuilt(upstream, 'library/tokened', img, 'v1');
    const manifest = await get(`${srv.url}/v2/up/library/tokened/manifests/v1`);
    expect(manifest.status).to.equal(200);
    expect(manifest.body.equals(img.bytes)).to.equal(true);
    const layer = img.blobs[1]!;
    const blob = await get(`${srv.url}/v2/up/library/tokened/blobs/${layer.desc.digest}`);
    expect(blob.body.equals(layer.bytes)).to.equal(true);
    expect(front.count('GET', '/token')).to.be.at.least(1);
    expect(srv.logs.join('\n')).to.not.contain('hub-token-secret');
  });
});
