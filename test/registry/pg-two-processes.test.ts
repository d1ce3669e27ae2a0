/**
 * The registry on PostgreSQL as two store processes would run it: two registries on one
 * database and one storage root, each behind its own listener. skopeo pushes through one and
 * pulls through the other; an upload alternates between them chunk by chunk; GC on one while
 * the other pushes loses nothing. (The store around the registry is still SQLite-only:
 * docs/decisions/0003.)
 */
import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createRegistry, type Registry, type RegistryAccess } from '../../registry/index.js';
import { createFsDriver } from '../../registry/storage/fs-driver.js';
import type { StoreDatabase } from '../../server/db/store-database.js';
import { clientHome, type ClientHome } from '../clients/client-env.js';
import { describeDialects } from '../helpers/dialects.js';
import { writeImageLayout } from '../helpers/oci-layout.js';
import { run, toolAvailable } from '../helpers/tools.js';

const openAccess: RegistryAccess = {
  check: () => Promise.resolve({ name: 'tester', anonymous: false }),
  allows: () => Promise.resolve(true),
};

interface Process {
  registry: Registry;
  server: Server;
  url: string;
  host: string;
}

async function startProcess(database: StoreDatabase, root: string): Promise<Process> {
  const registry = createRegistry({
    database,
    driver: createFsDriver(join(root, 'storage')),
    stagingDir: join(root, 'staging'),
    access: openAccess,
    log: pino({ level: 'silent' }),
    maxManifestBytes: 4 * 1024 * 1024,
    maxOpenUploads: 50,
    gc: { graceSeconds: 0, uploadTtlSeconds: 3600 },
  });
  const server = createServer(registry.handle).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { registry, server, url: `http://127.0.0.1:${port}`, host: `127.0.0.1:${port}` };
}

const sha256 = (bytes: Buffer): string =>
  `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

describeDialects('the registry run by two processes on one database', ({ dialect, open }) => {
  let root: string;
  let a: Process;
  let b: Process;
  let home: ClientHome | undefined;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'appshelf-two-'));
    const database = await open();
    [a, b] = [await startProcess(database, root), await startProcess(database, root)];
  });

  afterEach(async () => {
    for (const p of [a, b]) {
      p.server.closeAllConnections();
      p.server.close();
      await p.registry.close();
    }
    await rm(root, { recursive: true, force: true });
  });

  it(`pushes through one and pulls through the other with skopeo (${dialect})`, async function () {
    if (!toolAvailable('skopeo')) this.skip();
    home ??= await clientHome('two-processes');
    const src = join(home.dir, `src-${dialect}`);
    const { digest } = await writeImageLayout(src, 'v1');
    const skopeo = (args: string[]) =>
      run('skopeo', ['--policy', home!.policy, ...args], { env: home!.env, timeoutMs: 50_000 });
    await skopeo([
      'copy',
      '--quiet',
      '--dest-tls-verify=false',
      `oci:${src}:v1`,
      `docker://${a.host}/acme/app:v1`,
    ]);
    const out = join(home.dir, `out-${dialect}`);
    await skopeo([
      'copy',
      '--quiet',
      '--src-tls-verify=false',
      `docker://${b.host}/acme/app:v1`,
      `oci:${out}:v1`,
    ]);
    const { stdout } = await skopeo([
      'inspect',
      '--raw',
      '--tls-verify=false',
      `docker://${b.host}/acme/app:v1`,
    ]);
    expect(sha256(Buffer.from(stdout, 'utf8'))).to.equal(digest);
    const tags = await fetch(`${b.url}/v2/acme/app/tags/list`).then((r) => r.json());
    expect(tags).to.deep.equal({ name: 'acme/app', tags: ['v1'] });
  });

  it('completes an upload whose chunks alternate between the processes', async () => {
    const chunks = [randomBytes(100_000), randomBytes(70_000), randomBytes(30_000)];
    const whole = Buffer.concat(chunks);
    const started = await fetch(`${a.url}/v2/acme/app/blobs/uploads/`, { method: 'POST' });
    expect(started.status).to.equal(202);
    let location = started.headers.get('location')!;
    let offset = 0;
    for (const [i, chunk] of chunks.entries()) {
      const via = i % 2 === 0 ? b : a;
      const res = await fetch(new URL(location, via.url), {
        method: 'PATCH',
        headers: {
          'Content-Type': 'application/octet-stream',
          'Content-Range': `${offset}-${offset + chunk.length - 1}`,
        },
        body: chunk,
      });
      expect(res.status, `chunk ${i}`).to.equal(202);
      offset += chunk.length;
      expect(res.headers.get('range')).to.equal(`0-${offset - 1}`);
      location = res.headers.get('location')!;
    }
    const done = await fetch(
      new URL(`${location}${location.includes('?') ? '&' : '?'}digest=${sha256(whole)}`, b.url),
      {
        method: 'PUT',
      },
    );
    expect(done.status).to.equal(201);
    const pulled = await fetch(`${a.url}/v2/acme/app/blobs/${sha256(whole)}`);
    expect(Buffer.compare(Buffer.from(await pulled.arrayBuffer()), whole)).to.equal(0);
  });

  it('loses nothing tagged when one collects garbage while the other pushes', async () => {
    const pushImage = async (via: Process, tag: string) => {
      const layer = randomBytes(2_000);
      const config = Buffer.from(JSON.stringify({ tag }));
      for (const blob of [layer, config]) {
        const res = await fetch(`${via.url}/v2/acme/gc/blobs/uploads/?digest=${sha256(blob)}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/octet-stream' },
          body: blob,
        });
        expect(res.status).to.equal(201);
      }
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: {
            mediaType: 'application/vnd.oci.image.config.v1+json',
            digest: sha256(config),
            size: config.length,
          },
          layers: [
            {
              mediaType: 'application/vnd.oci.image.layer.v1.tar',
              digest: sha256(layer),
              size: layer.length,
            },
          ],
        }),
      );
      const put = await fetch(`${via.url}/v2/acme/gc/manifests/${tag}`, {
        method: 'PUT',
        headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
        body: manifest,
      });
      return { status: put.status, layer: sha256(layer) };
    };
    const pushes: Promise<{ status: number; layer: string }>[] = [];
    const reports = [];
    for (let i = 0; i < 12; i++) {
      pushes.push(pushImage(b, `t${i}`));
      if (i % 3 === 0) reports.push(await a.registry.gc.run());
    }
    const pushed = await Promise.all(pushes);
    reports.push(await a.registry.gc.run());
    // A push that GC raced either failed whole (and can be retried) or landed whole.
    for (const [i, p] of pushed.entries()) {
      if (p.status !== 201) continue;
      const blob = await fetch(`${a.url}/v2/acme/gc/blobs/${p.layer}`);
      expect(blob.status, `layer of t${i}`).to.equal(200);
      const head = await fetch(`${a.url}/v2/acme/gc/manifests/t${i}`, { method: 'HEAD' });
      expect(head.status, `t${i}`).to.equal(200);
    }
    expect(pushed.filter((p) => p.status === 201).length).to.be.greaterThan(0);
    expect(reports.length).to.equal(5);
  });

  // Only PostgreSQL shares "recently touched": SQLite is one process, whose own maps suffice.
  it('spares a blob that the other process has just looked at', async function () {
    if (dialect === 'sqlite') this.skip();
    const blob = randomBytes(1_000);
    const res = await fetch(`${a.url}/v2/acme/touched/blobs/uploads/?digest=${sha256(blob)}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/octet-stream' },
      body: blob,
    });
    expect(res.status).to.equal(201);
    await new Promise((resolve) => setTimeout(resolve, 1_200)); // older than the grace period
    const head = await fetch(`${b.url}/v2/acme/touched/blobs/${sha256(blob)}`, { method: 'HEAD' });
    expect(head.status).to.equal(200);
    // b's HEAD reaches a's GC only through registry_touches: a never looked at the blob since.
    a.registry.blobs.touched.clear();
    const report = await a.registry.gc.run({ graceSeconds: 1 });
    expect(report.blobsDeleted).to.equal(0);
    const after = await fetch(`${a.url}/v2/acme/touched/blobs/${sha256(blob)}`, { method: 'HEAD' });
    expect(after.status).to.equal(200);
    // What nobody touched within the grace period goes, as before.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    a.registry.blobs.touched.clear();
    b.registry.blobs.touched.clear();
    expect((await a.registry.gc.run({ graceSeconds: 1 })).blobsDeleted).to.equal(1);
  });
});
