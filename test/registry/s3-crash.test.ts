/**
 * A crash in the middle of large uploads on S3, with the real server as a child process over
 * s3rver: SIGKILL while a monolithic and a chunked upload stream into multipart uploads, restart
 * on the same data folder and bucket, and check that no partial blob became visible, that the
 * chunked upload resumes from its last completed chunk, that the cut push succeeds when retried,
 * and that GC (upload TTL 0) leaves nothing under _uploads/. The fs twin is crash.test.ts.
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { stringify } from 'yaml';
import { ADMIN_KEY } from '../helpers/server.js';
import {
  killStore,
  startStoreProcess,
  until,
  type StoreProcess,
} from '../helpers/store-process.js';
import { TestRegistryClient } from '../helpers/registry-client.js';
import { S3_CREDENTIALS, s3Storage, startS3rver, type S3Server } from '../helpers/s3rver.js';
import { blobKeyOf } from '../helpers/stored.js';
import { GeneratedBlob, send, type Reply } from '../helpers/streaming.js';

const MiB = 1024 * 1024;
const REPO = 'admin/crash';
const PREFIX = 'crash/';
const BIG = 48 * MiB; // monolithic upload, cut after 32 MiB
const CHUNK1 = 12 * MiB; // chunked upload: first chunk (committed before the crash: one part) ...
const CHUNK2 = 24 * MiB; // ... and the second (in flight when the server dies)

describe('registry on S3: crash in the middle of an upload', function () {
  this.timeout(240_000);
  let s3: S3Server;
  let bucket: S3Client;
  let data: string;
  const children: StoreProcess[] = [];

  async function startServer(): Promise<StoreProcess> {
    const child = await startStoreProcess(data, 60_000);
    children.push(child);
    return child;
  }

  /** Keys in the bucket under the store's prefix and `folder`, without the prefix. */
  async function keysUnder(folder: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await bucket.send(
        new ListObjectsV2Command({
          Bucket: s3.bucket,
          Prefix: `${PREFIX}${folder}`,
          ContinuationToken: token,
        }),
      );
      for (const o of page.Contents ?? []) keys.push(o.Key!.slice(PREFIX.length));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  }

  /** UploadPart requests per multipart upload id since request `from`. */
  const partsByUpload = (from: number): Map<string, number> => {
    const counts = new Map<string, number>();
    for (const r of s3.requests.slice(from))
      if (r.method === 'PUT' && r.query.has('partNumber')) {
        const id = r.query.get('uploadId')!;
        counts.set(id, (counts.get(id) ?? 0) + 1);
      }
    return counts;
  };

  async function pull(client: TestRegistryClient, digest: string) {
    const res = await client.request('GET', `/v2/${REPO}/blobs/${digest}`);
    expect(res.status).to.equal(200);
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      size += chunk.length;
    }
    return { digest: `sha256:${hash.digest('hex')}`, size };
  }

  async function gc(url: string, query: string): Promise<{ uploadsDeleted: number }> {
    const res = await fetch(`${url}/api/v1/admin/gc?${query}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    expect(res.status, await res.clone().text()).to.equal(200);
    return (await res.json()) as { uploadsDeleted: number };
  }

  const pushToken = async (client: TestRegistryClient): Promise<string> =>
    `Bearer ${await client.token(`repository:${REPO}:pull,push`)}`;

  async function pushBig(client: TestRegistryClient, blob: GeneratedBlob, stopAfter?: number) {
    const authorization = await pushToken(client);
    const start = await client.request('POST', `/v2/${REPO}/blobs/uploads/`);
    expect(start.status).to.equal(202);
    const location = start.headers.get('location')!;
    return send(
      client.base,
      'PUT',
      `${location}?digest=${blob.digest}`,
      { authorization, 'content-type': 'application/octet-stream', 'content-length': blob.size },
      blob.chunks(),
      stopAfter,
    );
  }

  function sendRest(
    client: TestRegistryClient,
    blob: GeneratedBlob,
    location: string,
    authorization: string,
    stopAfter?: number,
  ): Promise<Reply> {
    return send(
      client.base,
      'PUT',
      `${location}?digest=${blob.digest}`,
      {
        authorization,
        'content-range': `${CHUNK1}-${blob.size - 1}`,
        'content-length': blob.size - CHUNK1,
      },
      blob.chunks(CHUNK1),
      stopAfter,
    );
  }

  before(async () => {
    s3 = await startS3rver();
    bucket = new S3Client({
      endpoint: s3.directEndpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { ...S3_CREDENTIALS },
    });
    data = await mkdtemp(join(tmpdir(), 'appshelf-s3crash-'));
    await writeFile(join(data, 'config.yml'), stringify({ storage: s3Storage(s3, PREFIX) }));
  });

  after(async () => {
    for (const child of children) await killStore(child);
    bucket?.destroy();
    await s3?.close();
    if (data) await rm(data, { recursive: true, force: true });
  });

  it('exposes no partial blob, resumes the chunked upload, and GC leaves no staging', async () => {
    const big = new GeneratedBlob(BIG);
    const chunked = new GeneratedBlob(CHUNK1 + CHUNK2);

    // 1. A tagged image that must survive, then two large uploads cut by SIGKILL mid-stream.
    const first = await startServer();
    let client = new TestRegistryClient(first.url);
    const base = await client.pushImage(REPO, 'base');
    const token = await pushToken(client);
    const start = await client.request('POST', `/v2/${REPO}/blobs/uploads/`);
    const location = start.headers.get('location')!;
    const firstChunk = await send(
      client.base,
      'PATCH',
      location,
      { authorization: token, 'content-range': `0-${CHUNK1 - 1}`, 'content-length': CHUNK1 },
      chunked.chunks(0, CHUNK1),
    );
    expect([firstChunk.status, firstChunk.headers.range]).to.deep.equal([202, `0-${CHUNK1 - 1}`]);
    const from = s3.requests.length;
    const inFlight = [
      pushBig(client, big, 32 * MiB),
      sendRest(client, chunked, location, token, 16 * MiB),
    ].map((p) => p.catch((err: Error) => err));
    await until(
      'both uploads to be sending parts to S3',
      () => {
        const counts = [...partsByUpload(from).values()];
        return counts.length === 2 && counts.every((n) => n >= 1);
      },
      60_000,
    );
    await killStore(first);
    for (const outcome of await Promise.all(inFlight))
      expect(outcome, 'request cut by the crash').to.be.instanceOf(Error);

    // 2. Restart on the same data folder and bucket: nothing partial is visible.
    const second = await startServer();
    client = new TestRegistryClient(second.url);
    for (const digest of [big.digest, chunked.digest]) {
      const head = await client.request('HEAD', `/v2/${REPO}/blobs/${digest}`);
      expect(head.status, `HEAD ${digest}`).to.equal(404);
    }
    const baseKeys = base.blobs.map(blobKeyOf).sort();
    expect(await keysUnder('blobs/'), 'blob objects after the crash').to.deep.equal(baseKeys);
    const push = { scope: `repository:${REPO}:pull,push` };
    const status = await client.request('GET', location, push);
    expect([status.status, status.headers.get('range')], 'chunked session').to.deep.equal([
      204,
      `0-${CHUNK1 - 1}`,
    ]);

    // 3. The client resumes the chunked upload where it stood, and retries the cut push.
    const resumed = await sendRest(client, chunked, location, await pushToken(client));
    expect([resumed.status, resumed.headers['docker-content-digest']]).to.deep.equal([
      201,
      chunked.digest,
    ]);
    const put = await pushBig(client, big);
    expect([put.status, put.headers['docker-content-digest']]).to.deep.equal([201, big.digest]);
    expect(await pull(client, big.digest)).to.deep.equal({ digest: big.digest, size: BIG });
    expect(await pull(client, chunked.digest)).to.deep.equal({
      digest: chunked.digest,
      size: CHUNK1 + CHUNK2,
    });

    // 4. GC removes the session the crash left (the cut monolithic push) and all its staging.
    const report = await gc(second.url, 'graceSeconds=3600&uploadTtlSeconds=0');
    expect(report.uploadsDeleted, 'sessions removed').to.equal(1);
    expect(await keysUnder('_uploads/'), 'staging objects').to.deep.equal([]);
    expect(await keysUnder('blobs/'), 'blob objects').to.deep.equal(
      [...baseKeys, blobKeyOf(big.digest), blobKeyOf(chunked.digest)].sort(),
    );
    const kept = await client.request('GET', `/v2/${REPO}/manifests/base`);
    expect([kept.status, kept.headers.get('docker-content-digest')]).to.deep.equal([
      200,
      base.digest,
    ]);
    expect(
      second.output.filter((l) => l.includes('"level":50')),
      'errors logged',
    ).to.deep.equal([]);
  });
});
