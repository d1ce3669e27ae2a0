import { expect } from 'chai';
import { Readable } from 'node:stream';
import {
  ClientError,
  copyImage,
  RegistryClient,
  type RetryPolicy,
} from '../../../registry/client/index.js';
import { startFakeRegistry, type FakeRegistry } from '../../helpers/fake-registry.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../../helpers/server.js';
import { allBlobs, buildImage, pushBuilt, recordingFetch } from './images.js';

const FAST: Partial<RetryPolicy> = { attempts: 4, baseDelayMs: 1, maxDelayMs: 5 };
const admin = { username: 'admin', password: ADMIN_KEY };
type Logged = { method: string; url: URL };

const uploadsOf = (log: Logged[]): Logged[] =>
  log.filter((r) => r.url.pathname.includes('/blobs/uploads/'));

describe('registry client: copy behaviour against appshelf', () => {
  let srv: TestServer;
  let fake: FakeRegistry;
  before(async () => {
    srv = await startTestServer();
    fake = await startFakeRegistry();
  });
  after(async () => {
    await srv.close();
    await fake.close();
  });

  it('mounts blobs across repositories of the same registry instead of uploading them', async () => {
    const log: Logged[] = [];
    const client = new RegistryClient({
      host: srv.host,
      credentials: admin,
      fetch: recordingFetch(log),
    });
    const image = buildImage({ layerSizes: [4000, 9000] });
    await pushBuilt(client, 'acme/base', image, '1');
    log.length = 0;
    const result = await copyImage({
      from: { client, repository: 'acme/base', reference: '1' },
      to: { client, repository: 'acme/derived' },
    });
    const uploads = uploadsOf(log);
    expect(uploads.map((r) => [r.method, r.url.searchParams.get('from')])).to.deep.equal(
      image.blobs.map(() => ['POST', 'acme/base']),
    );
    expect(log.some((r) => r.method === 'GET' && /\/blobs\/sha256:/.test(r.url.pathname))).to.equal(
      false,
    );
    expect(result.stats).to.include({
      blobsMounted: image.blobs.length,
      blobsCopied: 0,
      bytesTransferred: 0,
    });
    expect((await client.fetchManifest('acme/derived', '1')).bytes.equals(image.bytes)).to.equal(
      true,
    );
  });

  it('mounts from a hinted repository when the source is another registry', async () => {
    const store = new RegistryClient({ host: srv.host, credentials: admin });
    const source = new RegistryClient({ host: fake.host });
    const image = buildImage({ layerSizes: [1234] });
    await pushBuilt(store, 'acme/already', image);
    await pushBuilt(source, 'upstream/hinted', image, 'h');
    const result = await copyImage({
      from: { client: source, repository: 'upstream/hinted', reference: 'h' },
      to: { client: store, repository: 'acme/hinted' },
      mountFrom: ['acme/already'],
    });
    expect(result.stats).to.include({ blobsMounted: 2, blobsCopied: 0 });
  });

  it('skips what the target has: a second copy sends no blob bytes', async () => {
    const source = new RegistryClient({ host: fake.host });
    const log: Logged[] = [];
    const target = new RegistryClient({
      host: srv.host,
      credentials: admin,
      fetch: recordingFetch(log),
    });
    const base = buildImage({ layerSizes: [20_000] });
    await pushBuilt(source, 'upstream/app', base, 'v1');
    const first = await copyImage({
      from: { client: source, repository: 'upstream/app', reference: 'v1' },
      to: { client: target, repository: 'acme/app' },
    });
    expect(first.stats.blobsCopied).to.equal(2);

    log.length = 0;
    const again = await copyImage({
      from: { client: source, repository: 'upstream/app', reference: 'v1' },
      to: { client: target, repository: 'acme/app' },
    });
    expect(uploadsOf(log)).to.deep.equal([]);
    expect(again.stats).to.include({ blobsCopied: 0, blobsSkipped: 2, bytesTransferred: 0 });

    // A new image on the same base layer: only the new blobs travel.
    const next = buildImage({ layerSizes: [5000], shared: [base.blobs[1]!] });
    await pushBuilt(source, 'upstream/app', next, 'v2');
    log.length = 0;
    const v2 = await copyImage({
      from: { client: source, repository: 'upstream/app', reference: 'v2' },
      to: { client: target, repository: 'acme/app' },
    });
    expect(v2.stats).to.include({ blobsSkipped: 1, blobsCopied: 2 });
    expect(uploadsOf(log).filter((r) => r.method === 'POST')).to.have.length(2);
  });

  it('resumes an interrupted chunked upload from the Range the registry reports', async () => {
    const source = new RegistryClient({ host: fake.host });
    const image = buildImage({ layerSizes: [300 * 1024] });
    await pushBuilt(source, 'upstream/big', image, 'v1');
    const layer = image.blobs[1]!;
    let patches = 0;
    const responseLost: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (init?.method === 'PATCH' && ++patches === 2) {
        await res.arrayBuffer(); // the registry took the chunk, but the answer never arrives
        throw new TypeError('fetch failed');
      }
      return res;
    };
    const log: Logged[] = [];
    const target = new RegistryClient({
      host: srv.host,
      credentials: admin,
      chunkSize: 64 * 1024,
      fetch: recordingFetch(log, responseLost),
      retry: FAST,
    });
    fake.requests.length = 0;
    const result = await copyImage({
      from: { client: source, repository: 'upstream/big', reference: 'v1' },
      to: { client: target, repository: 'acme/big' },
    });
    expect(result.stats.blobsCopied).to.equal(2);
    const uploads = uploadsOf(log);
    expect(uploads.filter((r) => r.method === 'POST')).to.have.length(2); // config and layer: one session each
    expect(uploads.filter((r) => r.method === 'GET')).to.have.length(1); // the status query
    expect(uploads.filter((r) => r.method === 'PATCH')).to.have.length(5); // 300 KiB in 64 KiB chunks, none sent twice
    const layerGets = fake.requests.filter(
      (r) => r.method === 'GET' && r.path.endsWith(layer.desc.digest),
    );
    expect(layerGets.map((r) => r.headers.range)).to.deep.equal([
      undefined,
      `bytes=${128 * 1024}-`,
    ]);
    expect(await target.blobExists('acme/big', layer.desc.digest)).to.equal(true);
  });

  it('goes on with an upload session after the client that started it is gone', async () => {
    const image = buildImage({ layerSizes: [200_000] });
    const layer = image.blobs[1]!;
    const first = new RegistryClient({ host: srv.host, credentials: admin, chunkSize: 50_000 });
    const session = await first.startUpload('acme/later');
    const broken = Readable.from(
      (async function* () {
        yield layer.bytes.subarray(0, 120_000);
        throw new ClientError('network', 'source went away');
      })(),
    );
    const err = await first.writeUpload(session, layer.desc, broken).catch((e: unknown) => e);
    expect((err as ClientError).code).to.equal('network');

    const second = new RegistryClient({ host: srv.host, credentials: admin, chunkSize: 50_000 });
    const status = await second.uploadStatus({
      repository: 'acme/later',
      location: session.location,
      offset: 0,
    });
    expect(status.offset).to.equal(100_000); // two whole chunks landed; the third never started
    await second.writeUpload(status, layer.desc, layer.bytes.subarray(status.offset));
    expect(await second.blobExists('acme/later', layer.desc.digest)).to.equal(true);
  });

  it('reports progress per blob and per manifest with totals', async () => {
    const source = new RegistryClient({ host: fake.host });
    const image = buildImage({ layerSizes: [100_000, 10] });
    await pushBuilt(source, 'upstream/progress', image, 'p');
    const target = new RegistryClient({ host: srv.host, credentials: admin, chunkSize: 32 * 1024 });
    const done = new Map<string, number[]>();
    let manifestEvents = 0;
    const result = await copyImage({
      from: { client: source, repository: 'upstream/progress', reference: 'p' },
      to: { client: target, repository: 'acme/progress' },
      concurrency: 1,
      onProgress: (e) => {
        if (e.type === 'manifest') manifestEvents++;
        else done.set(e.digest, [...(done.get(e.digest) ?? []), e.done]);
      },
    });
    const big = allBlobs(image).find((b) => b.desc.size === 100_000)!;
    expect(done.get(big.desc.digest)).to.deep.equal([32768, 65536, 98304, 100_000, 100_000]);
    expect(manifestEvents).to.equal(1);
    expect(result.stats.bytesTransferred).to.equal(
      allBlobs(image).reduce((n, b) => n + b.desc.size, 0),
    );
  });
});
