import { expect } from 'chai';
import {
  ClientError,
  copyImage,
  RegistryClient,
  type RetryPolicy,
} from '../../../registry/client/index.js';
import { startFakeRegistry, type FakeRegistry } from '../../helpers/fake-registry.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../../helpers/server.js';
import { buildImage, buildIndex, pushBuilt } from './images.js';

const FAST: Partial<RetryPolicy> = { attempts: 4, baseDelayMs: 1, maxDelayMs: 5 };

async function failure(work: Promise<unknown>): Promise<ClientError> {
  const err = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ClientError)) throw new Error(`expected a ClientError, got ${String(err)}`);
  return err;
}

describe('registry client: faults from a misbehaving upstream', () => {
  let srv: TestServer;
  let fake: FakeRegistry;
  let upstream: RegistryClient;
  let store: RegistryClient;
  before(async () => {
    srv = await startTestServer();
    fake = await startFakeRegistry();
    upstream = new RegistryClient({ host: fake.host, retry: FAST });
    store = new RegistryClient({
      host: srv.host,
      credentials: { username: 'admin', password: ADMIN_KEY },
      retry: FAST,
    });
  });
  afterEach(() => {
    fake.intercept = undefined;
  });
  after(async () => {
    await srv.close();
    await fake.close();
  });

  it('fails a blob stream with digest_mismatch when the upstream serves wrong bytes', async () => {
    const image = buildImage({ layerSizes: [50_000] });
    await pushBuilt(upstream, 'up/wrong', image, 'w');
    const layer = image.blobs[1]!;
    fake.intercept = (req, res, r) => {
      if (r.method !== 'GET' || !r.path.endsWith(layer.desc.digest)) return false;
      res.writeHead(200, {
        'Content-Length': layer.desc.size,
        'Docker-Content-Digest': layer.desc.digest,
      });
      res.end(Buffer.alloc(layer.desc.size, 7));
      return true;
    };
    const stream = await upstream.fetchBlob('up/wrong', layer.desc);
    const read = (async () => {
      for await (const _ of stream) void _;
    })();
    expect((await failure(read)).code).to.equal('digest_mismatch');

    const err = await failure(
      copyImage({
        from: { client: upstream, repository: 'up/wrong', reference: 'w' },
        to: { client: store, repository: 'acme/wrong' },
      }),
    );
    expect(err.code).to.equal('digest_mismatch');
    expect(await store.blobExists('acme/wrong', layer.desc.digest)).to.equal(false);
    expect(await store.manifestExists('acme/wrong', 'w')).to.equal(false);
  });

  it('detects a chunked blob with wrong bytes before the upload completes', async () => {
    const chunked = new RegistryClient({
      host: srv.host,
      credentials: { username: 'admin', password: ADMIN_KEY },
      chunkSize: 16 * 1024,
      retry: FAST,
    });
    const image = buildImage({ layerSizes: [100_000] });
    await pushBuilt(upstream, 'up/wrong-big', image, 'w');
    const layer = image.blobs[1]!;
    fake.intercept = (req, res, r) => {
      if (r.method !== 'GET' || !r.path.endsWith(layer.desc.digest)) return false;
      const bad = Buffer.from(layer.bytes);
      bad[90_000] = (bad[90_000] ?? 0) ^ 0xff;
      res.writeHead(200, { 'Content-Length': bad.length });
      res.end(bad);
      return true;
    };
    const err = await failure(
      copyImage({
        from: { client: upstream, repository: 'up/wrong-big', reference: 'w' },
        to: { client: chunked, repository: 'acme/wrong-big' },
      }),
    );
    expect(err.code).to.equal('digest_mismatch');
    expect(await store.blobExists('acme/wrong-big', layer.desc.digest)).to.equal(false);
  });

  it('fails with digest_mismatch when a child manifest does not match its digest', async () => {
    const child = buildImage();
    const index = buildIndex([child]);
    await pushBuilt(upstream, 'up/badchild', index, 'i');
    fake.intercept = (req, res, r) => {
      if (r.method !== 'GET' || !r.path.endsWith(`/manifests/${child.desc.digest}`)) return false;
      const other = buildImage().bytes;
      res.writeHead(200, { 'Content-Type': child.desc.mediaType, 'Content-Length': other.length });
      res.end(other);
      return true;
    };
    const err = await failure(
      copyImage({
        from: { client: upstream, repository: 'up/badchild', reference: 'i' },
        to: { client: store, repository: 'acme/badchild' },
      }),
    );
    expect(err.code).to.equal('digest_mismatch');
  });

  it('retries 503 and 429 answers with backoff, then succeeds', async () => {
    const image = buildImage({ layerSizes: [3000] });
    await pushBuilt(upstream, 'up/flaky', image, 'f');
    const layer = image.blobs[1]!;
    let refused = 0;
    fake.intercept = (req, res, r) => {
      if (r.method !== 'GET' || !r.path.endsWith(layer.desc.digest) || refused >= 2) return false;
      refused++;
      const status = refused === 1 ? 503 : 429;
      res.writeHead(status, {
        'Content-Type': 'application/json',
        ...(status === 429 ? { 'Retry-After': '0' } : {}),
      });
      res.end(
        JSON.stringify({
          errors: [{ code: status === 503 ? 'UNAVAILABLE' : 'TOOMANYREQUESTS', message: 'later' }],
        }),
      );
      return true;
    };
    const result = await copyImage({
      from: { client: upstream, repository: 'up/flaky', reference: 'f' },
      to: { client: store, repository: 'acme/flaky' },
    });
    expect(result.descriptor.digest).to.equal(image.desc.digest);
    expect(refused).to.equal(2);
    expect(
      fake.requests.filter((r) => r.method === 'GET' && r.path.endsWith(layer.desc.digest)),
    ).to.have.length(3);
  });

  it('retries a target that answers 503 to a manifest push', async () => {
    const image = buildImage();
    await pushBuilt(store, 'acme/to-fake', image, 't');
    let refused = 0;
    fake.intercept = (req, res, r) => {
      if (r.method !== 'PUT' || !r.path.includes('/manifests/') || refused >= 1) return false;
      refused++;
      req.resume();
      res.writeHead(503, { 'Content-Length': 0 }).end();
      return true;
    };
    const result = await copyImage({
      from: { client: store, repository: 'acme/to-fake', reference: 't' },
      to: { client: upstream, repository: 'down/copy' },
    });
    expect(result.descriptor.digest).to.equal(image.desc.digest);
    expect(fake.tags.get('down/copy:t')).to.equal(image.desc.digest);
  });

  it('gives up with unavailable once the retries are spent', async () => {
    const image = buildImage();
    await pushBuilt(upstream, 'up/down', image, 'd');
    fake.intercept = (req, res, r) => {
      if (!r.path.includes('/blobs/sha256:')) return false;
      res.writeHead(503, { 'Content-Length': 0 }).end();
      return true;
    };
    const err = await failure(
      copyImage({
        from: { client: upstream, repository: 'up/down', reference: 'd' },
        to: { client: store, repository: 'acme/down' },
      }),
    );
    expect([err.code, err.status, err.retryable]).to.deep.equal(['unavailable', 503, true]);
  });

  it('resumes from the target offset when the source connection breaks mid-blob', async () => {
    const chunked = new RegistryClient({
      host: srv.host,
      credentials: { username: 'admin', password: ADMIN_KEY },
      chunkSize: 16 * 1024,
      retry: FAST,
    });
    const image = buildImage({ layerSizes: [100_000] });
    await pushBuilt(upstream, 'up/cut', image, 'c');
    const layer = image.blobs[1]!;
    let cut = false;
    fake.intercept = (req, res, r) => {
      if (cut || r.method !== 'GET' || !r.path.endsWith(layer.desc.digest)) return false;
      cut = true;
      res.writeHead(200, { 'Content-Length': layer.desc.size });
      res.write(layer.bytes.subarray(0, 40_000), () => setImmediate(() => res.destroy()));
      return true;
    };
    fake.requests.length = 0;
    const result = await copyImage({
      from: { client: upstream, repository: 'up/cut', reference: 'c' },
      to: { client: chunked, repository: 'acme/cut' },
    });
    expect(result.descriptor.digest).to.equal(image.desc.digest);
    const ranges = fake.requests
      .filter((r) => r.method === 'GET' && r.path.endsWith(layer.desc.digest))
      .map((r) => r.headers.range);
    expect(ranges).to.deep.equal([undefined, `bytes=${32 * 1024}-`]); // two whole chunks had landed
    expect(await store.blobExists('acme/cut', layer.desc.digest)).to.equal(true);
  });
});
