/**
 * The registry on S3, against the real S3 protocol (s3rver behind a recording proxy): uploads go
 * to multipart uploads with parts of at least 5 MiB, an upload started on one process goes on
 * on another, nothing unverified becomes visible, ranges and mounts work without copying bytes,
 * GC deletes in batches, and logos live in the bucket too.
 */
import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { TestRegistryClient, errorCode, sha256 } from '../helpers/registry-client.js';
import { S3_CREDENTIALS, s3Storage, startS3rver, type S3Server } from '../helpers/s3rver.js';

const MiB = 1024 * 1024;
const MIN_PART = 5 * MiB;
const REPO = 'admin/s3';

describe('registry: blob storage on S3', function () {
  this.timeout(60_000);
  let s3: S3Server;
  let srv: TestServer;
  let client: TestRegistryClient;
  let bucket: S3Client;
  const PREFIX = 'store-a/';

  /** Every key under the store's prefix, read straight from S3 (the prefix stripped). */
  async function keys(under = ''): Promise<string[]> {
    const found: string[] = [];
    let token: string | undefined;
    do {
      const page = await bucket.send(
        new ListObjectsV2Command({
          Bucket: s3.bucket,
          Prefix: PREFIX + under,
          ContinuationToken: token,
        }),
      );
      for (const o of page.Contents ?? []) found.push(o.Key!.slice(PREFIX.length));
      token = page.NextContinuationToken;
    } while (token);
    return found.sort();
  }

  const blobKey = (digest: string): string => {
    const [algorithm, hex] = digest.split(':') as [string, string];
    return `blobs/${algorithm}/${hex.slice(0, 2)}/${hex}`;
  };

  async function startSession(c = client, repo = REPO): Promise<string> {
    const res = await c.request('POST', `/v2/${repo}/blobs/uploads/`);
    expect(res.status).to.equal(202);
    return res.headers.get('location')!;
  }

  async function patch(c: TestRegistryClient, location: string, offset: number, chunk: Buffer) {
    const res = await c.request('PATCH', location, {
      body: chunk,
      headers: { 'content-range': `${offset}-${offset + chunk.length - 1}` },
      scope: `repository:${REPO}:pull,push`,
    });
    expect([res.status, res.headers.get('range')]).to.deep.equal([
      202,
      `0-${offset + chunk.length - 1}`,
    ]);
  }

  async function finish(c: TestRegistryClient, location: string, digest: string, body?: Buffer) {
    const url = new URL(location, c.base);
    url.searchParams.set('digest', digest);
    return c.request('PUT', url.pathname + url.search, {
      ...(body ? { body } : {}),
      scope: `repository:${REPO}:pull,push`,
    });
  }

  async function pull(digest: string, range?: string, c = client): Promise<Response> {
    return c.request('GET', `/v2/${REPO}/blobs/${digest}`, range ? { headers: { range } } : {});
  }

  /** Sizes of the UploadPart requests made since `from`, per multipart upload. */
  function partSizes(from: number): number[][] {
    const byUpload = new Map<string, number[]>();
    for (const r of s3.requests.slice(from)) {
      if (r.method !== 'PUT' || !r.query.has('partNumber')) continue;
      const id = r.query.get('uploadId')!;
      byUpload.set(id, [...(byUpload.get(id) ?? []), r.bytes]);
    }
    return [...byUpload.values()];
  }

  before(async () => {
    s3 = await startS3rver();
    bucket = new S3Client({
      endpoint: s3.directEndpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { ...S3_CREDENTIALS }, // a copy: the SDK marks the object it is given
    });
    srv = await startTestServer({ storage: s3Storage(s3, PREFIX) });
    client = new TestRegistryClient(srv.url);
  });

  after(async () => {
    await srv?.close();
    bucket?.destroy();
    await s3?.close();
  });

  it('stores a monolithic push as a multipart upload and serves it whole and by range', async () => {
    const blob = randomBytes(12 * MiB + 123);
    const from = s3.requests.length;
    const { status, digest } = await client.pushBlob(REPO, blob);
    expect(status).to.equal(201);
    const sizes = partSizes(from);
    expect(sizes, 'one multipart upload').to.have.length(1);
    expect(
      sizes[0]!.slice(0, -1).every((n) => n >= MIN_PART),
      `parts ${sizes[0]}`,
    ).to.equal(true);
    expect(sizes[0]!.reduce((a, b) => a + b, 0)).to.equal(blob.length);
    expect(await keys(), 'nothing but the blob').to.deep.equal([blobKey(digest)]);

    const whole = await pull(digest);
    expect(whole.status).to.equal(200);
    expect(Buffer.from(await whole.arrayBuffer()).equals(blob)).to.equal(true);
    for (const [range, start, end] of [
      ['bytes=0-0', 0, 0],
      ['bytes=5242879-5242890', 5242879, 5242890],
      [`bytes=${blob.length - 7}-`, blob.length - 7, blob.length - 1],
      ['bytes=-100', blob.length - 100, blob.length - 1],
    ] as const) {
      const res = await pull(digest, range);
      expect([res.status, res.headers.get('content-range')], range).to.deep.equal([
        206,
        `bytes ${start}-${end}/${blob.length}`,
      ]);
      expect(Buffer.from(await res.arrayBuffer()).equals(blob.subarray(start, end + 1)), range).to
        .be.true;
    }
  });

  it('buffers small chunks into parts of at least 5 MiB', async () => {
    const sizes = [1, 1, 2, 3, 7, 0.0625, 4, 6].map((m) => Math.round(m * MiB));
    const blob = randomBytes(sizes.reduce((a, b) => a + b, 0));
    const from = s3.requests.length;
    const location = await startSession();
    let offset = 0;
    for (const size of sizes) {
      await patch(client, location, offset, blob.subarray(offset, offset + size));
      offset += size;
    }
    const done = await finish(client, location, sha256(blob));
    expect([done.status, await done.text()]).to.deep.equal([201, '']);
    const parts = partSizes(from).flat();
    expect(
      parts.slice(0, -1).every((n) => n >= MIN_PART),
      `parts ${parts}`,
    ).to.equal(true);
    expect(parts.reduce((a, b) => a + b, 0)).to.equal(blob.length);
    const res = await pull(sha256(blob));
    expect(Buffer.from(await res.arrayBuffer()).equals(blob)).to.equal(true);
    expect(await keys('_uploads'), 'upload leftovers').to.deep.equal([]);
  });

  it('goes on with an upload on another process and verifies the whole blob there', async () => {
    const other = await startTestServer({ storage: s3Storage(s3, PREFIX) }, { data: srv.data });
    try {
      const second = new TestRegistryClient(other.url);
      const blob = randomBytes(14 * MiB);
      const cuts = [0, 6 * MiB, 12 * MiB, 13 * MiB];
      const location = await startSession();
      const servers = [client, second, client, second];
      for (let i = 0; i < cuts.length; i++) {
        const end = cuts[i + 1] ?? blob.length;
        await patch(servers[i]!, location, cuts[i]!, blob.subarray(cuts[i], end));
      }
      const status = await second.request('GET', location, {
        scope: `repository:${REPO}:pull,push`,
      });
      expect([status.status, status.headers.get('range')]).to.deep.equal([
        204,
        `0-${blob.length - 1}`,
      ]);
      // The first process finishes an upload whose last bytes it never saw.
      const wrong = await finish(client, location, sha256(blob.subarray(1)));
      expect([wrong.status, await errorCode(wrong)]).to.deep.equal([400, 'DIGEST_INVALID']);
      const again = await startSession(second);
      for (let i = 0; i < cuts.length; i++) {
        const end = cuts[i + 1] ?? blob.length;
        await patch(servers[(i + 1) % 2]!, again, cuts[i]!, blob.subarray(cuts[i], end));
      }
      const done = await finish(client, again, sha256(blob));
      expect(done.status).to.equal(201);
      const res = await pull(sha256(blob), undefined, second);
      expect(Buffer.from(await res.arrayBuffer()).equals(blob)).to.equal(true);
    } finally {
      await other.close();
    }
    expect(await keys('_uploads'), 'upload leftovers').to.deep.equal([]);
  });

  it('never makes an unverified blob visible', async () => {
    const before = await keys('blobs');
    const big = randomBytes(11 * MiB);
    const wrong = sha256('something else');
    const post = await client.request('POST', `/v2/${REPO}/blobs/uploads/?digest=${wrong}`, {
      body: big,
    });
    expect([post.status, await errorCode(post)]).to.deep.equal([400, 'DIGEST_INVALID']);
    const location = await startSession();
    await patch(client, location, 0, big);
    const put = await finish(client, location, wrong);
    expect([put.status, await errorCode(put)]).to.deep.equal([400, 'DIGEST_INVALID']);
    for (const digest of [wrong, sha256(big)]) {
      const res = await pull(digest);
      expect([res.status, await errorCode(res)]).to.deep.equal([404, 'BLOB_UNKNOWN']);
    }
    expect(await keys('blobs'), 'blob objects').to.deep.equal(before);
    expect(await keys('_uploads'), 'upload leftovers').to.deep.equal([]);
  });

  it('mounts a blob into another repository without copying bytes', async () => {
    const blob = randomBytes(6 * MiB);
    const { digest } = await client.pushBlob(REPO, blob);
    const from = s3.requests.length;
    const mount = await client.request(
      'POST',
      `/v2/admin/mounted/blobs/uploads/?mount=${digest}&from=${REPO}`,
      { scope: `repository:admin/mounted:pull,push repository:${REPO}:pull` },
    );
    expect(mount.status).to.equal(201);
    expect(s3.requests.slice(from), 'S3 requests of the mount').to.deep.equal([]);
    const res = await client.request('GET', `/v2/admin/mounted/blobs/${digest}`);
    expect(Buffer.from(await res.arrayBuffer()).equals(blob)).to.equal(true);
  });

  it('keeps app logos in the bucket', async () => {
    const created = await fetch(`${srv.url}/api/v1/apps`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ namespace: 'admin', name: 'logo-app' }),
    });
    expect(created.status, await created.clone().text()).to.be.oneOf([200, 201]);
    const png = Buffer.concat([
      Buffer.from('89504e470d0a1a0a', 'hex'),
      Buffer.from('0000000d49484452000000010000000108060000001f15c489', 'hex'),
    ]);
    const put = await fetch(`${srv.url}/api/v1/apps/admin/logo-app/logo`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'image/png' },
      body: png,
    });
    expect(put.status, await put.clone().text()).to.equal(200);
    const hex = createHash('sha256').update(png).digest('hex');
    expect(
      (await keys('logos')).some((k) => k.endsWith(`/${hex}`)),
      'logo object',
    ).to.equal(true);
    const got = await fetch(`${srv.url}/api/v1/apps/admin/logo-app/logo`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    expect([got.status, Buffer.from(await got.arrayBuffer()).equals(png)]).to.deep.equal([
      200,
      true,
    ]);
  });

  it('garbage-collects stale upload sessions and upload objects no session owns', async () => {
    const location = await startSession();
    await patch(client, location, 0, randomBytes(3 * MiB)); // waits in the bucket as a pending chunk
    expect(await keys('_uploads'), 'the pending chunk').to.have.length(1);
    const stray = '_uploads/0b8b0e4c-5d1f-4a43-9a61-2c4f9f7d2f10/at-0';
    await srv.app.registry.blobs.driver.write(
      stray,
      Readable.from([Buffer.from('left by a crash')]),
    );
    const res = await fetch(`${srv.url}/api/v1/admin/gc?graceSeconds=0&uploadTtlSeconds=0`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    expect(res.status, await res.clone().text()).to.equal(200);
    const report = (await res.json()) as { uploadsDeleted: number; orphanFilesDeleted: number };
    expect(report).to.include({ uploadsDeleted: 1, orphanFilesDeleted: 1 });
    expect(await keys('_uploads'), 'upload objects').to.deep.equal([]);
    const gone = await client.request('GET', location, { scope: `repository:${REPO}:pull,push` });
    expect(gone.status).to.equal(404);
  });

  it('garbage-collects unreferenced blobs with DeleteObjects, at most 1,000 keys a request', async function () {
    this.timeout(180_000);
    const { meta, blobs } = srv.app.registry;
    const count = 1005;
    const made: string[] = [];
    for (let i = 0; i < count; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, count - i) }, async (_, j) => {
          const bytes = Buffer.from(`unreferenced blob ${i + j}`);
          const digest = sha256(bytes) as Parameters<typeof meta.addBlob>[1];
          await blobs.driver.write(blobKey(digest), Readable.from([bytes]));
          await meta.addBlob('admin/garbage', digest, bytes.length);
          made.push(digest);
        }),
      );
    }
    const from = s3.requests.length;
    const res = await fetch(`${srv.url}/api/v1/admin/gc?graceSeconds=0&uploadTtlSeconds=0`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    expect(res.status, await res.clone().text()).to.equal(200);
    const report = (await res.json()) as { blobsDeleted: number };
    expect(report.blobsDeleted).to.be.at.least(count);
    const requests = s3.requests.slice(from);
    const batches = requests.filter((r) => r.method === 'POST' && r.query.has('delete'));
    const batchSizes = batches.map((r) => (r.body ?? '').split('<Key>').length - 1);
    expect(
      batchSizes.every((n) => n <= 1000),
      `batches ${batchSizes}`,
    ).to.equal(true);
    expect(batchSizes.reduce((a, b) => a + b, 0)).to.be.at.least(count);
    expect(
      requests.filter((r) => r.method === 'DELETE'),
      'single deletes',
    ).to.deep.equal([]);
    const left = new Set(await keys('blobs'));
    expect(
      made.filter((d) => left.has(blobKey(d))),
      'blobs left',
    ).to.deep.equal([]);
  });
});
