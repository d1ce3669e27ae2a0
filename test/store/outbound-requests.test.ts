/**
 * What the store fetches for a user, seen from the outside (issue 13 §1): a publish whose images
 * point at loopback (in any spelling), at a token realm or a redirect on an internal address, or
 * at the store itself never opens a TCP connection there, and fails the component with the host
 * and the reason; `sync.allowHosts` lets a listed internal registry through, and nothing else on
 * the same address; credentials stay on the registry's host; bodies that are not blobs are capped.
 */
import { once } from 'node:events';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { ServerResponse } from 'node:http';
import { expect } from 'chai';
import type { ComponentSync, SyncJobView } from '../../schemas/sync.js';
import { RegistryClient } from '../../registry/client/index.js';
import { api } from '../helpers/accounts.js';
import { startFakeRegistry, type FakeRegistry } from '../helpers/fake-registry.js';
import { TestRegistryClient } from '../helpers/registry-client.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { buildImage, pushBuilt } from '../registry/client/images.js';
import { pushTemplate } from './app-pushes.js';

/** A TCP listener on every loopback address (IPv4 and IPv6) that only counts connections. */
interface CountingListener {
  port: number;
  connections: number;
  close(): Promise<void>;
}

async function countingListener(): Promise<CountingListener> {
  const counter = { connections: 0 };
  const server: TcpServer = createTcpServer((socket) => {
    counter.connections++;
    socket.destroy();
  }).listen({ port: 0, host: '::', ipv6Only: false });
  await once(server, 'listening');
  return Object.assign(counter, {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((done) => server.close(() => done())),
  });
}

/** Writes `total` bytes of filler, as fast as the reader takes them; resolves with what was handed over. */
async function streamFiller(res: ServerResponse, total: number): Promise<number> {
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  let written = 0;
  while (written < total && !res.destroyed) {
    const more = res.write(chunk);
    written += chunk.length;
    if (!more) await drainedOrClosed(res);
  }
  res.end();
  return written;
}

/** Waits for `drain` or `close`, and leaves no listener behind (the loop waits many times). */
function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise((done) => {
    const finish = (): void => {
      res.off('drain', finish);
      res.off('close', finish);
      done();
    };
    res.once('drain', finish);
    res.once('close', finish);
  });
}

const FILLER = 64 * 1024 * 1024;
/** Far below FILLER, far above the caps (a few MiB) plus what the sockets buffer. */
const READ_AT_MOST = 24 * 1024 * 1024;

let versionCount = 0;

/** A draft of admin/<app> whose components are `images`; returns its version and service keys. */
async function draftWith(
  srv: TestServer,
  app: string,
  images: string[],
): Promise<{ version: string; keys: string[] }> {
  const version = `1.0.${++versionCount}`;
  const keys = images.map(
    (_, i) => `${String(versionCount).padStart(4, '0')}${'a'.repeat(27)}${i}`,
  );
  const template = {
    group_key: 'c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0',
    group_name: app,
    group_version: version,
    apps: images.map((image, i) => ({
      service_id: keys[i],
      service_key: keys[i],
      service_cname: `part-${i}`,
      extend_method: 'stateless_multiple',
      share_image: image,
    })),
  };
  await pushTemplate(
    new TestRegistryClient(srv.url),
    `admin/${app}`,
    Buffer.from(JSON.stringify(template)),
    version,
  );
  return { version, keys };
}

async function publish(
  srv: TestServer,
  app: string,
  version: string,
  credentials: { registry: string; username: string; password: string }[] = [],
): Promise<SyncJobView> {
  const path = `/api/v1/apps/admin/${app}/versions/${version}`;
  const started = await api(srv, 'POST', `${path}/publish`, {
    bearer: ADMIN_KEY,
    body: { credentials },
  });
  expect(started.status, started.text).to.equal(202);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await api<SyncJobView>(srv, 'GET', `${path}/sync`, { bearer: ADMIN_KEY });
    expect(res.status, res.text).to.equal(200);
    if (res.body.state === 'done' || res.body.state === 'failed') return res.body;
    if (Date.now() > deadline) throw new Error(`sync of ${app}:${version} still ${res.body.state}`);
    await new Promise((done) => setTimeout(done, 50));
  }
}

type Failure = { code: string; message: string; host?: string; reason?: string };
const failureOf = (c: ComponentSync | undefined): Failure | undefined => c?.error as Failure;

describe('store: outbound requests of image sync', function () {
  this.timeout(60_000);
  let internal: CountingListener;
  let open: TestServer; // the default policy: nothing internal
  let listed: TestServer; // sync.allowHosts lists two fake registries by host:port
  let cidr: TestServer; // sync.allowHosts lists 127.0.0.0/8
  let fake: FakeRegistry;
  let other: FakeRegistry; // reached as localhost:<port>, another host than fake's
  const image = buildImage({ layerSizes: [4096] });

  before(async () => {
    internal = await countingListener();
    fake = await startFakeRegistry();
    other = await startFakeRegistry();
    const client = new RegistryClient({ host: fake.url });
    await pushBuilt(client, 'upstream/web', image, '1');
    await pushBuilt(new RegistryClient({ host: other.url }), 'upstream/web', image, '1');
    const otherPort = new URL(other.url).port;
    [open, listed, cidr] = await Promise.all([
      startTestServer({ sync: { allowHosts: [] } }),
      startTestServer({ sync: { allowHosts: [fake.host, `localhost:${otherPort}`] } }),
      startTestServer({ sync: { allowHosts: ['127.0.0.0/8'] } }),
    ]);
  });

  after(async () => {
    await Promise.all([open?.close(), listed?.close(), cidr?.close()]);
    await Promise.all([fake?.close(), other?.close(), internal?.close()]);
  });

  beforeEach(() => {
    internal.connections = 0;
    fake.intercept = undefined;
    other.intercept = undefined;
    fake.requests.length = 0;
    other.requests.length = 0;
  });

  it('never connects to loopback in any spelling: no connection, each component names host and reason', async () => {
    const p = internal.port;
    // As the reference writes the host, and as the refusal names it (the URL's canonical host).
    const hosts: [string, string][] = [
      [`127.0.0.1:${p}`, `127.0.0.1:${p}`],
      [`localhost:${p}`, `localhost:${p}`],
      [`localhost.:${p}`, `localhost:${p}`],
      [`127.1:${p}`, `127.0.0.1:${p}`],
      [`2130706433:${p}`, `127.0.0.1:${p}`],
      [`0x7f.1:${p}`, `127.0.0.1:${p}`],
      [`[::ffff:127.0.0.1]:${p}`, `[::ffff:7f00:1]:${p}`],
      [`[::1]:${p}`, `[::1]:${p}`],
    ];
    const { version, keys } = await draftWith(
      open,
      'loopback',
      hosts.map(([h]) => `${h}/acme/web:1`),
    );
    const job = await publish(open, 'loopback', version);
    expect(job.state).to.equal('failed');
    expect(internal.connections).to.equal(0);
    for (const [i, [written, canonical]] of hosts.entries()) {
      const c = job.components.find((x) => x.serviceKey === keys[i]);
      const error = failureOf(c);
      expect([c?.state, error?.code, error?.host, error?.reason], written).to.deep.equal([
        'failed',
        'blocked',
        canonical,
        'loopback',
      ]);
      expect(error?.message).to.contain(keys[i]);
    }
  });

  it('lets a listed internal registry through, and nothing else on its address', async () => {
    const { version, keys } = await draftWith(listed, 'listed', [
      `${fake.host}/upstream/web:1`,
      `127.0.0.1:${internal.port}/upstream/web:1`,
    ]);
    const job = await publish(listed, 'listed', version);
    const [through, refused] = keys.map((k) => job.components.find((c) => c.serviceKey === k));
    expect([through?.state, through?.digest]).to.deep.equal(['done', image.desc.digest]);
    expect([refused?.state, failureOf(refused)?.code, failureOf(refused)?.reason]).to.deep.equal([
      'failed',
      'blocked',
      'loopback',
    ]);
    expect(internal.connections).to.equal(0);
  });

  it('lets a CIDR entry through, never the store itself', async () => {
    const self = new URL(cidr.url).port;
    const { version, keys } = await draftWith(cidr, 'cidr', [
      `${fake.host}/upstream/web:1`,
      `[::ffff:127.0.0.1]:${self}/admin/cidr:1`, // the store, under a name it does not know
    ]);
    const job = await publish(cidr, 'cidr', version);
    const [through, itself] = keys.map((k) => job.components.find((c) => c.serviceKey === k));
    expect(through?.state).to.equal('done');
    expect([itself?.state, failureOf(itself)?.code, failureOf(itself)?.reason]).to.deep.equal([
      'failed',
      'blocked',
      'self',
    ]);
  });

  for (const realm of ['127.0.0.1', 'localhost']) {
    it(`refuses a token realm on an internal address (${realm}), without connecting`, async () => {
      fake.intercept = (_req, res) => {
        res.writeHead(401, {
          'www-authenticate': `Bearer realm="http://${realm}:${internal.port}/token",service="x"`,
          'content-length': 0,
        });
        res.end();
        return true;
      };
      const { version, keys } = await draftWith(listed, 'realm', [`${fake.host}/upstream/web:1`]);
      const job = await publish(listed, 'realm', version);
      const error = failureOf(job.components.find((c) => c.serviceKey === keys[0]));
      expect([error?.code, error?.reason]).to.deep.equal(['blocked', 'loopback']);
      expect(error?.message).to.contain(`${realm}:${internal.port}`);
      expect(internal.connections).to.equal(0);
    });
  }

  it('refuses a redirect to an internal address, without connecting', async () => {
    fake.intercept = (req, res, r) => {
      if (!r.path.includes('/manifests/')) return false;
      res.writeHead(307, {
        location: `http://127.0.0.1:${internal.port}${req.url ?? '/'}`,
        'content-length': 0,
      });
      res.end();
      return true;
    };
    const { version, keys } = await draftWith(listed, 'redirect', [`${fake.host}/upstream/web:1`]);
    const job = await publish(listed, 'redirect', version);
    const error = failureOf(job.components.find((c) => c.serviceKey === keys[0]));
    expect([error?.code, error?.reason]).to.deep.equal(['blocked', 'loopback']);
    expect(internal.connections).to.equal(0);
  });

  it('drops the credentials on a redirect to another host', async () => {
    const fresh = buildImage({ layerSizes: [2048] }); // blobs no repository of the store holds
    await pushBuilt(new RegistryClient({ host: fake.url }), 'upstream/fresh', fresh, '1');
    await pushBuilt(new RegistryClient({ host: other.url }), 'upstream/fresh', fresh, '1');
    const basic = `Basic ${Buffer.from('u:secret').toString('base64')}`;
    const otherPort = new URL(other.url).port;
    fake.intercept = (req, res, r) => {
      if (r.headers.authorization !== basic) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="fake"', 'content-length': 0 });
        res.end();
        return true;
      }
      if (!/\/blobs\/sha256:/.test(r.path)) return false;
      res.writeHead(307, { location: `http://localhost:${otherPort}${req.url ?? '/'}` });
      res.end();
      return true;
    };
    const { version, keys } = await draftWith(listed, 'creds', [`${fake.host}/upstream/fresh:1`]);
    const job = await publish(listed, 'creds', version, [
      { registry: fake.host, username: 'u', password: 'secret' },
    ]);
    const c = job.components.find((x) => x.serviceKey === keys[0]);
    expect(c?.state, JSON.stringify(c)).to.equal('done');
    expect(other.requests.length).to.be.greaterThan(0);
    expect(other.requests.map((r) => r.headers.authorization ?? null)).to.satisfy(
      (all: unknown[]) => all.every((a) => a === null),
    );
  });

  it('stops reading an oversized token body', async () => {
    let written: Promise<number> | undefined;
    fake.intercept = (_req, res, r) => {
      if (r.path === '/token') {
        res.writeHead(200, { 'content-type': 'application/json' });
        written = streamFiller(res, FILLER);
        return true;
      }
      res.writeHead(401, {
        'www-authenticate': `Bearer realm="${fake.url}/token",service="fake"`,
        'content-length': 0,
      });
      res.end();
      return true;
    };
    const { version, keys } = await draftWith(listed, 'token', [`${fake.host}/upstream/web:1`]);
    const job = await publish(listed, 'token', version);
    const error = failureOf(job.components.find((c) => c.serviceKey === keys[0]));
    expect(error?.code).to.equal('too_large');
    expect(await written).to.be.below(READ_AT_MOST);
  });

  it('stops reading an oversized challenge body', async () => {
    const written: Promise<number>[] = [];
    fake.intercept = (_req, res, r) => {
      if (r.method === 'HEAD') {
        // No digest: the client falls back to a GET, which gets the challenge with its body.
        res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
        res.end();
        return true;
      }
      res.writeHead(401, { 'www-authenticate': 'Basic realm="fake"' });
      written.push(streamFiller(res, FILLER));
      return true;
    };
    const { version, keys } = await draftWith(listed, 'challenge', [`${fake.host}/upstream/web:1`]);
    const job = await publish(listed, 'challenge', version, [
      { registry: fake.host, username: 'u', password: 'wrong' },
    ]);
    expect(failureOf(job.components.find((c) => c.serviceKey === keys[0]))?.code).to.equal(
      'unauthorized',
    );
    const total = (await Promise.all(written)).reduce((a, b) => a + b, 0);
    expect(total).to.be.below(READ_AT_MOST);
  });

  it('stops reading an oversized manifest body', async () => {
    let written: Promise<number> | undefined;
    fake.intercept = (_req, res, r) => {
      if (!r.path.includes('/manifests/')) return false;
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
      if (r.method === 'HEAD') {
        res.end();
        return true;
      }
      written = streamFiller(res, FILLER);
      return true;
    };
    const { version, keys } = await draftWith(listed, 'manifest', [`${fake.host}/upstream/web:1`]);
    const job = await publish(listed, 'manifest', version);
    expect(failureOf(job.components.find((c) => c.serviceKey === keys[0]))?.code).to.equal(
      'too_large',
    );
    expect(await written).to.be.below(READ_AT_MOST);
  });

  it("resolves an image on the store's own registry inside the store", async () => {
    const own = new TestRegistryClient(open.url);
    await own.pushImage('admin/base', 'v1');
    const { version, keys } = await draftWith(open, 'own', [`${open.host}/admin/base:v1`]);
    const job = await publish(open, 'own', version);
    const c = job.components.find((x) => x.serviceKey === keys[0]);
    expect([c?.state, c?.blobs?.mounted], JSON.stringify(c)).to.deep.equal(['done', 2]);
  });
});
