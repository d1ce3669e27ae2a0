import { expect } from 'chai';
import {
  ClientError,
  copyImage,
  RegistryClient,
  type CopyEvent,
} from '../../../registry/client/index.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../../helpers/server.js';
import {
  distributionAvailable,
  DISTRIBUTION_USER,
  startDistribution,
  type DistributionServer,
} from './distribution.js';
import { allBlobs, buildImage, buildIndex, pushBuilt, recordingFetch } from './images.js';

describe('registry client: CNCF Distribution (basic auth) → appshelf (token auth)', function () {
  this.timeout(60_000);
  let dist: DistributionServer;
  let srv: TestServer;
  let source: RegistryClient;
  let target: RegistryClient;
  const sourceRequests: { method: string; url: URL }[] = [];
  let authHeaders: string[] = [];

  before(async function () {
    if (!distributionAvailable()) return this.skip(); // outside CI only: there, a missing binary throws
    dist = await startDistribution();
    srv = await startTestServer();
    const inner: typeof fetch = (input, init) => {
      const auth = new Headers(init?.headers).get('authorization');
      if (auth) authHeaders.push(auth.split(' ')[0] ?? '');
      return fetch(input, init);
    };
    source = new RegistryClient({
      host: dist.host,
      credentials: DISTRIBUTION_USER,
      fetch: recordingFetch(sourceRequests, inner),
    });
    target = new RegistryClient({
      host: srv.host,
      credentials: { username: 'admin', password: ADMIN_KEY },
    });
  });
  after(async () => {
    await srv?.close();
    await dist?.close();
  });

  it('copies a single image; Distribution is spoken to with Basic credentials', async () => {
    const image = buildImage({ layerSizes: [1000, 300_000], docker: true });
    await pushBuilt(source, 'library/single', image, '1.0');
    expect(new Set(authHeaders)).to.deep.equal(new Set(['Basic']));

    const events: CopyEvent[] = [];
    const result = await copyImage({
      from: { client: source, repository: 'library/single', reference: '1.0' },
      to: { client: target, repository: 'acme/single' },
      onProgress: (e) => events.push(e),
    });
    expect(result.descriptor.digest).to.equal(image.desc.digest);
    expect(result.reference).to.equal('1.0');
    const copied = await target.fetchManifest('acme/single', '1.0');
    expect(copied.descriptor.digest).to.equal(image.desc.digest);
    expect(copied.bytes.equals(image.bytes)).to.equal(true);
    expect(copied.descriptor.mediaType).to.equal(
      'application/vnd.docker.distribution.manifest.v2+json',
    );
    for (const blob of image.blobs)
      expect(await target.blobExists('acme/single', blob.desc.digest)).to.equal(true);
    expect(result.stats).to.include({
      blobsCopied: 3,
      manifestsCopied: 1,
      bytesTransferred: image.blobs.reduce((n, b) => n + b.desc.size, 0),
    });
    const last = events.at(-1);
    expect(last?.type).to.equal('manifest');
    expect(last?.totals).to.include({ blobs: 3, blobsDone: 3, manifests: 1, manifestsDone: 1 });
  });

  it('copies a multi-arch index with every platform, digests unchanged', async () => {
    const index = buildIndex([
      buildImage({ architecture: 'amd64', layerSizes: [5000] }),
      buildImage({ architecture: 'arm64', layerSizes: [7000, 20] }),
    ]);
    await pushBuilt(source, 'library/multi', index, 'latest');
    const result = await copyImage({
      from: { client: source, repository: 'library/multi', reference: 'latest' },
      to: { client: target, repository: 'acme/multi', tag: 'v2' },
      platforms: 'all',
      concurrency: 2,
    });
    expect(result.descriptor.digest).to.equal(index.desc.digest);
    const copied = await target.fetchManifest('acme/multi', 'v2');
    expect(copied.bytes.equals(index.bytes)).to.equal(true);
    for (const child of index.children) {
      const c = await target.fetchManifest('acme/multi', child.desc.digest);
      expect(c.bytes.equals(child.bytes)).to.equal(true);
    }
    for (const blob of allBlobs(index))
      expect(await target.blobExists('acme/multi', blob.desc.digest)).to.equal(true);
    expect(result.stats).to.include({ manifestsCopied: 3, blobsCopied: allBlobs(index).length });
  });

  it('copies one platform of an index when asked', async () => {
    const arm = buildImage({ architecture: 'arm64' });
    const index = buildIndex([buildImage({ architecture: 'amd64' }), arm]);
    await pushBuilt(source, 'library/pick', index, 'latest');
    const result = await copyImage({
      from: { client: source, repository: 'library/pick', reference: 'latest' },
      to: { client: target, repository: 'acme/pick' },
      platforms: { os: 'linux', architecture: 'arm64' },
    });
    expect(result.descriptor.digest).to.equal(arm.desc.digest);
    expect((await target.resolve('acme/pick', 'latest')).digest).to.equal(arm.desc.digest);
  });

  it('reports wrong Distribution credentials as unauthorized', async () => {
    const wrong = new RegistryClient({
      host: dist.host,
      credentials: { username: DISTRIBUTION_USER.username, password: 'wrong' },
    });
    const err = await wrong.ping().catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ClientError);
    expect([(err as ClientError).code, (err as ClientError).status]).to.deep.equal([
      'unauthorized',
      401,
    ]);
    const copy = await copyImage({
      from: { client: wrong, repository: 'library/single', reference: '1.0' },
      to: { client: target, repository: 'acme/never' },
    }).catch((e: unknown) => e);
    expect((copy as ClientError).code).to.equal('unauthorized');
  });

  it('copies appshelf → Distribution back, digests unchanged', async () => {
    const image = buildImage({ layerSizes: [64_000] });
    await pushBuilt(target, 'acme/back', image, 'b1');
    const result = await copyImage({
      from: { client: target, repository: 'acme/back', reference: 'b1' },
      to: { client: source, repository: 'mirror/back' },
    });
    expect(result.descriptor.digest).to.equal(image.desc.digest);
    expect((await source.fetchManifest('mirror/back', 'b1')).bytes.equals(image.bytes)).to.equal(
      true,
    );
  });

  beforeEach(() => {
    authHeaders = [];
  });
});
