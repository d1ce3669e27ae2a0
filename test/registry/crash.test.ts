/**
 * A crash in the middle of large uploads, with the real server as a child process: SIGKILL while
 * a monolithic and a chunked upload stream in, restart on the same data folder, and check that no
 * partial blob became visible, that GC (grace 0, upload TTL 0) leaves no orphan behind, and that
 * the same pushes then succeed and pull back with the right digests. It checks the fs layout, so
 * it stays on fs whatever APPSHELF_TEST_STORAGE says; s3-crash.test.ts is its S3 twin.
 */
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ADMIN_KEY } from '../helpers/server.js';
import {
  killStore,
  startStoreProcess,
  until,
  type StoreProcess,
} from '../helpers/store-process.js';
import { TestRegistryClient, sha256 } from '../helpers/registry-client.js';
import { GeneratedBlob, send, type Reply } from '../helpers/streaming.js';

const MiB = 1024 * 1024;
const REPO = 'admin/crash';
const BIG = 64 * MiB; // monolithic upload
const CHUNK1 = 8 * MiB; // chunked upload: first chunk (committed before the crash) ...
const CHUNK2 = 16 * MiB; // ... and the second (in flight when the server dies)

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
}

describe('registry: crash in the middle of an upload', function () {
  this.timeout(60_000);
  let data: string;
  const children: StoreProcess[] = [];

  async function startServer(): Promise<StoreProcess> {
    const child = await startStoreProcess(data);
    children.push(child);
    return child;
  }

  async function gc(
    url: string,
    query: string,
  ): Promise<{
    dryRun: boolean;
    uploadsDeleted: number;
    orphanFilesDeleted: number;
    blobsDeleted: number;
    bytesFreed: number;
  }> {
    const res = await fetch(`${url}/api/v1/admin/gc?${query}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    expect(res.status, await res.clone().text()).to.equal(200);
    return (await res.json()) as Awaited<ReturnType<typeof gc>>;
  }

  const blobFile = (digest: string): string => {
    const [algorithm, hex] = digest.split(':') as [string, string];
    return join(data, 'storage', 'blobs', algorithm, hex.slice(0, 2), hex);
  };
  const blobTree = (): Promise<string[]> => filesUnder(join(data, 'storage', 'blobs'));

  async function pushBig(
    client: TestRegistryClient,
    blob: GeneratedBlob,
    stopAfter?: number,
  ): Promise<Reply> {
    const token = `Bearer ${await client.token(`repository:${REPO}:pull,push`)}`;
    const start = await client.request('POST', `/v2/${REPO}/blobs/uploads/`);
    expect(start.status).to.equal(202);
    const location = start.headers.get('location')!;
    return send(
      client.base,
      'PUT',
      `${location}?digest=${blob.digest}`,
      {
        authorization: token,
        'content-type': 'application/octet-stream',
        'content-length': blob.size,
      },
      blob.chunks(),
      stopAfter,
    );
  }

  /** PATCH of the first chunk; returns the session location. */
  async function startChunked(client: TestRegistryClient, blob: GeneratedBlob): Promise<string> {
    const token = `Bearer ${await client.token(`repository:${REPO}:pull,push`)}`;
    const start = await client.request('POST', `/v2/${REPO}/blobs/uploads/`);
    const location = start.headers.get('location')!;
    const first = await send(
      client.base,
      'PATCH',
      location,
      { authorization: token, 'content-range': `0-${CHUNK1 - 1}`, 'content-length': CHUNK1 },
      blob.chunks(0, CHUNK1),
    );
    expect([first.status, first.headers.range]).to.deep.equal([202, `0-${CHUNK1 - 1}`]);
    return location;
  }

  function finishChunked(
    client: TestRegistryClient,
    blob: GeneratedBlob,
    location: string,
    token: string,
    stopAfter?: number,
  ): Promise<Reply> {
    return send(
      client.base,
      'PUT',
      `${location}?digest=${blob.digest}`,
      { authorization: token, 'content-length': CHUNK2 },
      blob.chunks(CHUNK1),
      stopAfter,
    );
  }

  before(async () => {
    data = await mkdtemp(join(tmpdir(), 'appshelf-crash-'));
    await writeFile(
      join(data, 'config.yml'),
      '# crash test: defaults, with APPSHELF_* overrides\n',
    );
  });

  after(async () => {
    for (const child of children) await killStore(child);
    await rm(data, { recursive: true, force: true });
  });

  it('exposes no partial blob, GC leaves no orphan, and the same pushes then succeed', async () => {
    const big = new GeneratedBlob(BIG);
    const chunked = new GeneratedBlob(CHUNK1 + CHUNK2);

    // 1. A tagged image that must survive everything below, then two large uploads cut by SIGKILL.
    const first = await startServer();
    let client = new TestRegistryClient(first.url);
    const base = await client.pushImage(REPO, 'base');
    const location = await startChunked(client, chunked);
    const token = `Bearer ${await client.token(`repository:${REPO}:pull,push`)}`;
    const inFlight = [
      pushBig(client, big, 40 * MiB),
      finishChunked(client, chunked, location, token, 8 * MiB),
    ].map((p) => p.catch((err: Error) => err));
    const staging = join(data, 'uploads');
    const stagedBytes = async (): Promise<number[]> =>
      (
        await Promise.all(
          (await readdir(staging)).map((f) => stat(join(staging, f)).catch(() => undefined)),
        )
      )
        .map((s) => s?.size ?? 0)
        .sort((a, b) => a - b);
    await until('both uploads to be streaming to disk', async () => {
      const sizes = await stagedBytes();
      return sizes.length === 2 && sizes[0]! > CHUNK1 && sizes[1]! > 16 * MiB;
    });
    await killStore(first);
    for (const outcome of await Promise.all(inFlight))
      expect(outcome, 'request cut by the crash').to.be.instanceOf(Error);
    expect((await stagedBytes()).length, 'staging files left by the crash').to.equal(2);

    // A crash can also land between a blob's rename into place and its row, or in a driver write.
    const orphan = Buffer.from('renamed into place, then the process died');
    await mkdir(dirname(blobFile(sha256(orphan))), { recursive: true });
    await writeFile(blobFile(sha256(orphan)), orphan);
    await mkdir(join(data, 'storage', '_tmp'), { recursive: true });
    await writeFile(
      join(data, 'storage', '_tmp', 'c0ffee00-0000-4000-8000-000000000000'),
      'half a write',
    );
    const past = new Date(Date.now() - 10_000);
    await utimes(blobFile(sha256(orphan)), past, past);

    // 2. Restart on the same data folder: nothing partial is visible.
    const second = await startServer();
    client = new TestRegistryClient(second.url);
    for (const digest of [big.digest, chunked.digest, sha256(orphan)]) {
      const head = await client.request('HEAD', `/v2/${REPO}/blobs/${digest}`);
      expect(head.status, `HEAD ${digest}`).to.equal(404);
    }
    expect(
      existsSync(blobFile(big.digest)) || existsSync(blobFile(chunked.digest)),
      'partial blob file',
    ).to.equal(false);
    const push = { scope: `repository:${REPO}:pull,push` };
    const status = await client.request('GET', location, push);
    expect(
      [status.status, status.headers.get('range')],
      'chunked session after restart',
    ).to.deep.equal([204, `0-${CHUNK1 - 1}`]);

    // 3. GC: a dry run reports without deleting, then the real run leaves only referenced blobs.
    const dry = await gc(second.url, 'dryRun=true&graceSeconds=0&uploadTtlSeconds=0');
    expect(dry).to.include({
      dryRun: true,
      uploadsDeleted: 2,
      blobsDeleted: 0,
      orphanFilesDeleted: 2,
    });
    expect(dry.bytesFreed).to.be.at.least(CHUNK1 + 16 * MiB + orphan.length);
    expect((await stagedBytes()).length, 'staging files after a dry run').to.equal(2);
    const report = await gc(second.url, 'graceSeconds=0&uploadTtlSeconds=0');
    expect(report).to.include({
      dryRun: false,
      uploadsDeleted: 2,
      blobsDeleted: 0,
      orphanFilesDeleted: 2,
    });
    expect(report.bytesFreed).to.equal(dry.bytesFreed);
    expect(await filesUnder(staging), 'staging files').to.deep.equal([]);
    expect(await filesUnder(join(data, 'storage', '_tmp')), '_tmp files').to.deep.equal([]);
    expect((await blobTree()).sort(), 'blob files').to.deep.equal(
      base.blobs.map((d) => blobFile(d).slice(join(data, 'storage', 'blobs').length + 1)).sort(),
    );
    const gone = await client.request('GET', location, push);
    expect(gone.status, 'chunked session after GC').to.equal(404);
    const kept = await client.request('GET', `/v2/${REPO}/manifests/base`);
    expect([kept.status, kept.headers.get('docker-content-digest')]).to.deep.equal([
      200,
      base.digest,
    ]);

    // 4. The same pushes now succeed, and pull back intact.
    const put = await pushBig(client, big);
    expect([put.status, put.headers['docker-content-digest']]).to.deep.equal([201, big.digest]);
    const again = await startChunked(client, chunked);
    const done = await finishChunked(
      client,
      chunked,
      again,
      `Bearer ${await client.token(`repository:${REPO}:pull,push`)}`,
    );
    expect([done.status, done.headers['docker-content-digest']]).to.deep.equal([
      201,
      chunked.digest,
    ]);
    const config = Buffer.from('{"architecture":"amd64","os":"linux"}');
    expect((await client.pushBlob(REPO, config)).status).to.equal(201);
    const manifest = await client.pushManifest(REPO, 'big', {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: sha256(config),
        size: config.length,
      },
      layers: [big, chunked].map((b) => ({
        mediaType: 'application/vnd.oci.image.layer.v1.tar',
        digest: b.digest,
        size: b.size,
      })),
    });
    expect(manifest.status).to.equal(201);
    expect(await client.pullBlob(REPO, big.digest)).to.deep.equal({
      status: 200,
      digest: big.digest,
      size: BIG,
    });
    expect(await client.pullBlob(REPO, chunked.digest)).to.deep.equal({
      status: 200,
      digest: chunked.digest,
      size: CHUNK1 + CHUNK2,
    });
    expect(await filesUnder(staging), 'staging files after the pushes').to.deep.equal([]);
    expect(
      second.output.filter((l) => l.includes('"level":50')),
      'errors logged',
    ).to.deep.equal([]);
  });
});
