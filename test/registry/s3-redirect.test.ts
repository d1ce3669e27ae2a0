/**
 * `storage.s3.redirectBlobGets`: blob GETs answer 307 Temporary Redirect to a presigned URL on the
 * S3 endpoint (s3rver here), and following it yields the blob's bytes, whole or the range asked
 * for. HEAD, small blobs and bad requests are answered by the store itself; a presigned URL is
 * reused for 5 of its 15 minutes; skopeo pulls through the redirects; with the option off every
 * GET is 200 from the store.
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  clientHome,
  recordRequests,
  type ClientHome,
  type SeenRequest,
} from '../clients/client-env.js';
import { layoutBlobs, layoutRef } from '../clients/oci-layout-builder.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { TestRegistryClient, errorCode, sha256 } from '../helpers/registry-client.js';
import { s3Storage, startS3rver, type S3Server } from '../helpers/s3rver.js';
import { run, toolAvailable } from '../helpers/tools.js';

const MiB = 1024 * 1024;
const REPO = 'admin/redirect';
/** The largest blob the store serves from memory rather than redirecting. */
const SMALL = 64 * 1024;

describe('registry: blob GETs redirected to presigned S3 URLs', function () {
  this.timeout(60_000);
  let s3: S3Server;
  let srv: TestServer;
  let direct: TestServer;
  let client: TestRegistryClient;
  let now = Date.now();
  // Real gzip (of random bytes, so as large): skopeo would compress a layer it finds uncompressed.
  const content = randomBytes(3 * MiB + 17);
  const layer = gzipSync(content);
  const small = randomBytes(SMALL);
  let layerDigest: string;

  const blobPath = (digest: string, repo = REPO): string => `/v2/${repo}/blobs/${digest}`;
  const keyOf = (prefix: string, digest: string): string => {
    const hex = digest.slice('sha256:'.length);
    return `${prefix}blobs/sha256/${hex.slice(0, 2)}/${hex}`;
  };

  /** GET of the blob, not following redirects (the test client never does). */
  const get = (digest: string, headers: Record<string, string> = {}, c = client) =>
    c.request('GET', blobPath(digest), { headers });

  /** The 307 answer to a GET of `digest`: its Location, checked to be a presigned S3 URL. */
  async function redirected(digest: string, headers: Record<string, string> = {}): Promise<URL> {
    const res = await get(digest, headers);
    expect(res.status).to.equal(307);
    expect(await res.text()).to.equal('');
    expect(res.headers.get('docker-content-digest')).to.equal(digest);
    const location = new URL(res.headers.get('location')!);
    expect(location.origin).to.equal(new URL(s3.endpoint).origin);
    expect(location.pathname).to.equal(`/${s3.bucket}/${keyOf('on/', digest)}`);
    expect(location.searchParams.get('X-Amz-Expires')).to.equal('900');
    expect(location.searchParams.get('X-Amz-Signature')).to.match(/^[0-9a-f]{64}$/);
    return location;
  }

  before(async () => {
    s3 = await startS3rver();
    srv = await startTestServer(
      {
        storage: {
          ...s3Storage(s3, 'on/'),
          s3: { ...s3Storage(s3, 'on/').s3, redirectBlobGets: true },
        },
      },
      { clock: () => now },
    );
    direct = await startTestServer({ storage: s3Storage(s3, 'off/') });
    client = new TestRegistryClient(srv.url);
    const pushed = await client.pushBlob(REPO, layer);
    expect(pushed.status).to.equal(201);
    layerDigest = pushed.digest;
    expect((await client.pushBlob(REPO, small)).status).to.equal(201);
  });

  after(async () => {
    await srv?.close();
    await direct?.close();
    await s3?.close();
  });

  it('answers a GET with 307 to a presigned URL on the endpoint; following it yields the exact bytes', async () => {
    const location = await redirected(layerDigest);
    // No credentials: the URL carries its own authorization.
    const res = await fetch(location);
    expect(res.status).to.equal(200);
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.length).to.equal(layer.length);
    expect(sha256(body)).to.equal(layerDigest);
  });

  it('follows with the Range the client repeats against S3, and checks the range before redirecting', async () => {
    const range = `bytes=${MiB - 5}-${2 * MiB + 4}`;
    const location = await redirected(layerDigest, { range });
    const res = await fetch(location, { headers: { range } });
    expect(res.status).to.equal(206);
    expect(res.headers.get('content-range')).to.equal(
      `bytes ${MiB - 5}-${2 * MiB + 4}/${layer.length}`,
    );
    expect(
      Buffer.from(await res.arrayBuffer()).equals(layer.subarray(MiB - 5, 2 * MiB + 5)),
    ).to.equal(true);

    // An open end (s3rver 3.7 reads a suffix range `bytes=-n` as `0-n`; S3 itself does not).
    const tail = `bytes=${layer.length - 10}-`;
    const open = await fetch(await redirected(layerDigest, { range: tail }), {
      headers: { range: tail },
    });
    expect(open.status).to.equal(206);
    expect(Buffer.from(await open.arrayBuffer()).equals(layer.subarray(-10))).to.equal(true);

    const beyond = await get(layerDigest, { range: `bytes=${layer.length}-` });
    expect(beyond.status).to.equal(416);
    expect(beyond.headers.get('content-range')).to.equal(`bytes */${layer.length}`);
    expect(await errorCode(beyond)).to.equal('RANGE_INVALID');
  });

  it('answers HEAD itself, from the metadata, without asking S3', async () => {
    const before = s3.requests.length;
    const res = await client.request('HEAD', blobPath(layerDigest));
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-length')).to.equal(String(layer.length));
    expect(res.headers.get('docker-content-digest')).to.equal(layerDigest);
    expect(res.headers.get('location')).to.equal(null);
    expect(s3.requests.slice(before)).to.deep.equal([]);
  });

  it('serves blobs of up to 64 KiB from the store itself (from memory after the first GET)', async () => {
    const res = await get(sha256(small));
    expect(res.status).to.equal(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(small)).to.equal(true);
    const before = s3.requests.length;
    const again = await get(sha256(small), { range: 'bytes=10-19' });
    expect(again.status).to.equal(206);
    expect(Buffer.from(await again.arrayBuffer()).equals(small.subarray(10, 20))).to.equal(true);
    expect(s3.requests.slice(before)).to.deep.equal([]);
  });

  it('answers an unknown or foreign blob with 404 BLOB_UNKNOWN, not a redirect', async () => {
    const unknown = await get(sha256('never pushed'));
    expect(unknown.status).to.equal(404);
    expect(await errorCode(unknown)).to.equal('BLOB_UNKNOWN');
    const foreign = await client.request('GET', blobPath(layerDigest, 'admin/other'));
    expect(foreign.status).to.equal(404);
    expect(await errorCode(foreign)).to.equal('BLOB_UNKNOWN');
  });

  it('reuses a presigned URL for 5 minutes, then signs a fresh one, valid 15 minutes from then', async () => {
    const first = await redirected(layerDigest);
    // Registry tokens live 5 minutes too: a fresh client after each step of the clock.
    now += 4 * 60_000;
    client = new TestRegistryClient(srv.url);
    expect((await redirected(layerDigest)).href).to.equal(first.href);
    now += 2 * 60_000;
    client = new TestRegistryClient(srv.url);
    const fresh = await redirected(layerDigest);
    expect(fresh.href).to.not.equal(first.href);
    const signedAt = (u: URL): number => {
      const m = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/.exec(
        u.searchParams.get('X-Amz-Date')!,
      )!;
      return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
    };
    expect(signedAt(fresh) - signedAt(first)).to.be.within(5 * 60_000, 7 * 60_000);
    const res = await fetch(fresh);
    expect(sha256(Buffer.from(await res.arrayBuffer()))).to.equal(layerDigest);
  });

  it('with the option off (the default), GETs are 200 from the store', async () => {
    const off = new TestRegistryClient(direct.url);
    const { digest } = await off.pushBlob(REPO, layer);
    const res = await get(digest, {}, off);
    expect(res.status).to.equal(200);
    expect(res.headers.get('location')).to.equal(null);
    expect(sha256(Buffer.from(await res.arrayBuffer()))).to.equal(digest);
    const ranged = await get(digest, { range: 'bytes=5-9' }, off);
    expect(ranged.status).to.equal(206);
    expect(Buffer.from(await ranged.arrayBuffer()).equals(layer.subarray(5, 10))).to.equal(true);
  });

  describe('skopeo', () => {
    let home: ClientHome | undefined;
    let seen: SeenRequest[];

    /** GETs of the layer that reached S3 with a presigned URL. */
    const presignedGets = (): number =>
      s3.requests.filter(
        (r) =>
          r.method === 'GET' &&
          r.key === keyOf('on/', layerDigest) &&
          r.query.has('X-Amz-Signature'),
      ).length;

    before(async function () {
      if (!toolAvailable('skopeo')) this.skip();
      home = await clientHome('skopeo-redirect');
      seen = recordRequests(srv);
    });

    after(async () => {
      if (home) await rm(home.dir, { recursive: true, force: true });
    });

    it('copies an image out of the store to an OCI layout, its layer fetched through the redirect', async () => {
      const config = Buffer.from(
        JSON.stringify({
          architecture: 'amd64',
          os: 'linux',
          rootfs: { type: 'layers', diff_ids: [sha256(content)] },
        }),
      );
      expect((await client.pushBlob(REPO, config)).status).to.equal(201);
      const manifest = {
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: {
          mediaType: 'application/vnd.oci.image.config.v1+json',
          digest: sha256(config),
          size: config.length,
        },
        layers: [
          {
            mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
            digest: layerDigest,
            size: layer.length,
          },
        ],
      };
      const put = await client.pushManifest(REPO, 'v1', manifest);
      expect(put.status).to.equal(201);

      const before = presignedGets();
      const out = join(home!.dir, 'out');
      await run(
        'skopeo',
        [
          '--policy',
          home!.policy,
          'copy',
          '--quiet',
          '--src-tls-verify=false',
          '--src-creds',
          `admin:${ADMIN_KEY}`,
          `docker://${srv.host}/${REPO}:v1`,
          `oci:${out}:v1`,
        ],
        { env: home!.env, timeoutMs: 50_000 },
      );
      expect((await layoutRef(out, 'v1')).digest).to.equal(
        put.headers.get('docker-content-digest'),
      );
      const blobs = await layoutBlobs(out);
      expect(blobs.get(layerDigest)?.equals(layer)).to.equal(true);
      expect(blobs.get(sha256(config))?.equals(config)).to.equal(true);
      expect(
        seen
          .filter((r) => r.method === 'GET' && r.url === blobPath(layerDigest))
          .map((r) => r.status),
      ).to.deep.equal([307]);
      // ...and skopeo took the layer from S3 with the presigned URL.
      expect(presignedGets()).to.be.greaterThan(before);
    });
  });
});
