/**
 * Garbage collection while pushes go on, through the admin endpoint: every image pushed before
 * and during the collections pulls back intact (every blob, digests verified), the unreferenced
 * blobs and manifests are gone (404 and files removed), a dry run deletes nothing, and the
 * report counts what was freed.
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { ADMIN_KEY, TEST_DATABASE, startTestServer, type TestServer } from '../helpers/server.js';
import { blobObjectSize } from '../helpers/stored.js';
import { sqlRows } from '../helpers/store-sql.js';
import { TestRegistryClient, errorCode, sha256 } from '../helpers/registry-client.js';

const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const INDEX = 'application/vnd.oci.image.index.v1+json';
/** A realistic grace period; the server's clock is moved on past it instead of sleeping. */
const GRACE = 30;

interface GcReport {
  dryRun: boolean;
  manifestsDeleted: number;
  blobsDeleted: number;
  uploadsDeleted: number;
  orphanFilesDeleted: number;
  bytesFreed: number;
}

/** What a push stored: enough to pull it back and check every byte. */
interface Pushed {
  repo: string;
  reference: string;
  digest: string;
  /** Every blob under it (config and layers, children's too). */
  blobs: Map<string, Buffer>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('registry: garbage collection under load', function () {
  // On PostgreSQL a collection first waits one flush of every process's touched blobs (1.1 s,
  // registry/gc/shared-touches.ts), and the load tests run some twenty collections one by one.
  this.timeout(TEST_DATABASE === 'postgres' ? 90_000 : 30_000);
  let srv: TestServer;
  let client: TestRegistryClient;
  let shift = 0;
  /** Makes everything pushed so far older than the grace period (tokens stay valid: TTL 300 s). */
  const age = (): void => void (shift += (GRACE + 1) * 1000);

  beforeEach(async () => {
    shift = 0;
    srv = await startTestServer({}, { clock: () => Date.now() + shift });
    client = new TestRegistryClient(srv.url);
  });
  afterEach(async () => {
    try {
      const errors = srv.logs.filter((line) => line.includes('"level":50'));
      expect(errors, 'errors logged').to.deep.equal([]);
    } finally {
      await srv.close();
    }
  });

  async function gc(query: string): Promise<GcReport> {
    const res = await fetch(`${srv.url}/api/v1/admin/gc?${query}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    expect(res.status, await res.clone().text()).to.equal(200);
    return (await res.json()) as GcReport;
  }

  const hasBlobFile = async (digest: string): Promise<boolean> =>
    (await blobObjectSize(srv, digest)) !== undefined;

  async function pushBlob(repo: string, bytes: Buffer): Promise<string> {
    const { status, digest } = await client.pushBlob(repo, bytes);
    expect(status, `blob ${digest}`).to.equal(201);
    return digest;
  }

  /** An image manifest over fresh config bytes and `layers`; blobs are uploaded first. */
  async function pushImage(
    repo: string,
    reference: string,
    layers: Buffer[],
    extra: object = {},
  ): Promise<{ res: Response; image: Pushed }> {
    const config = Buffer.from(
      JSON.stringify({ architecture: 'amd64', os: 'linux', id: randomBytes(8).toString('hex') }),
    );
    const blobs = new Map<string, Buffer>();
    for (const blob of [config, ...layers]) blobs.set(await pushBlob(repo, blob), blob);
    const body = JSON.stringify({
      schemaVersion: 2,
      mediaType: MANIFEST,
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: sha256(config),
        size: config.length,
      },
      layers: layers.map((l) => ({
        mediaType: 'application/vnd.oci.image.layer.v1.tar',
        digest: sha256(l),
        size: l.length,
      })),
      ...extra,
    });
    const res = await client.pushManifest(repo, reference, body);
    return { res, image: { repo, reference, digest: sha256(body), blobs } };
  }

  async function pushIndex(
    repo: string,
    tag: string,
    children: Pushed[],
  ): Promise<{ res: Response; image: Pushed }> {
    const body = JSON.stringify({
      schemaVersion: 2,
      mediaType: INDEX,
      manifests: children.map((c) => ({ mediaType: MANIFEST, digest: c.digest, size: 0 })),
    });
    // Descriptor sizes must be right: look them up from what was pushed.
    const sized = JSON.parse(body) as { manifests: { digest: string; size: number }[] };
    for (const d of sized.manifests) {
      const res = await client.request('HEAD', `/v2/${repo}/manifests/${d.digest}`);
      d.size = Number(res.headers.get('content-length'));
    }
    const final = JSON.stringify(sized);
    const res = await client.pushManifest(repo, tag, final, INDEX);
    const blobs = new Map(children.flatMap((c) => [...c.blobs]));
    return { res, image: { repo, reference: tag, digest: sha256(final), blobs } };
  }

  async function must(push: Promise<{ res: Response; image: Pushed }>): Promise<Pushed> {
    const { res, image } = await push;
    expect(
      res.status,
      `push ${image.repo}:${image.reference}: ${res.status === 201 ? '' : await res.text()}`,
    ).to.equal(201);
    return image;
  }

  /** Pulls a manifest (and, for an index, its children) and every blob, checking every digest. */
  async function expectIntact(repo: string, reference: string, digest: string): Promise<void> {
    const res = await client.request('GET', `/v2/${repo}/manifests/${reference}`);
    expect(res.status, `${repo}:${reference}`).to.equal(200);
    const body = Buffer.from(await res.arrayBuffer());
    expect(
      [res.headers.get('docker-content-digest'), sha256(body)],
      `${repo}:${reference}`,
    ).to.deep.equal([digest, digest]);
    const parsed = JSON.parse(body.toString('utf8')) as {
      manifests?: { digest: string }[];
      config?: { digest: string; size: number };
      layers?: { digest: string; size: number }[];
    };
    for (const child of parsed.manifests ?? [])
      await expectIntact(repo, child.digest, child.digest);
    for (const blob of [...(parsed.config ? [parsed.config] : []), ...(parsed.layers ?? [])]) {
      const got = await client.request('GET', `/v2/${repo}/blobs/${blob.digest}`);
      expect(got.status, `blob ${blob.digest} of ${repo}:${reference}`).to.equal(200);
      const bytes = Buffer.from(await got.arrayBuffer());
      expect([sha256(bytes), bytes.length], `blob of ${repo}:${reference}`).to.deep.equal([
        blob.digest,
        blob.size,
      ]);
    }
  }

  /** Every tag of the repository pulls intact: no manifest was left dangling, refused push or not. */
  async function expectEveryTagIntact(repo: string): Promise<number> {
    const res = await client.request('GET', `/v2/${repo}/tags/list`);
    const { tags } = (await res.json()) as { tags: string[] };
    for (const tag of tags) {
      const head = await client.request('HEAD', `/v2/${repo}/manifests/${tag}`);
      await expectIntact(repo, tag, head.headers.get('docker-content-digest')!);
    }
    return tags.length;
  }

  async function expectBlobGone(repo: string, digest: string): Promise<void> {
    const res = await client.request('GET', `/v2/${repo}/blobs/${digest}`);
    expect([res.status, await errorCode(res)], `garbage blob ${digest}`).to.deep.equal([
      404,
      'BLOB_UNKNOWN',
    ]);
    expect(await hasBlobFile(digest), `file of garbage blob ${digest}`).to.equal(false);
  }

  async function expectManifestGone(repo: string, digest: string): Promise<void> {
    const res = await client.request('GET', `/v2/${repo}/manifests/${digest}`);
    expect([res.status, await errorCode(res)], `garbage manifest ${digest}`).to.deep.equal([
      404,
      'MANIFEST_UNKNOWN',
    ]);
  }

  /**
   * Live images (tagged image, tagged index over untagged children, an untagged referrer of a
   * tagged image) and garbage (an untagged image, a deleted one, a lone blob, an unreferenced
   * untagged manifest); a layer is shared between live and garbage.
   */
  async function populate(repo: string): Promise<{
    live: Pushed[];
    garbageBlobs: Map<string, Buffer>;
    garbageManifests: string[];
    shared: Buffer;
  }> {
    const layer = (name: string): Buffer =>
      Buffer.from(`${name} ${randomBytes(16).toString('hex')}`);
    const shared = layer('shared');
    const kept = await must(pushImage(repo, 'kept', [layer('kept'), shared]));
    const childA = await must(pushImage(repo, 'placeholder-a', [layer('child a')]));
    const childB = await must(pushImage(repo, 'placeholder-b', [layer('child b')]));
    for (const tag of ['placeholder-a', 'placeholder-b'])
      expect((await client.request('DELETE', `/v2/${repo}/manifests/${tag}`)).status).to.equal(202);
    const index = await must(pushIndex(repo, 'multi', [childA, childB]));
    const referrer = await must(
      pushImage(repo, 'placeholder-r', [layer('signature')], {
        subject: { mediaType: MANIFEST, digest: kept.digest, size: 0 },
      }),
    );
    expect((await client.request('DELETE', `/v2/${repo}/manifests/placeholder-r`)).status).to.equal(
      202,
    );

    const untagged = await must(pushImage(repo, 'untagged', [layer('untagged'), shared]));
    expect((await client.request('DELETE', `/v2/${repo}/manifests/untagged`)).status).to.equal(202);
    const deleted = await must(pushImage(repo, 'deleted', [layer('deleted')]));
    expect(
      (await client.request('DELETE', `/v2/${repo}/manifests/${deleted.digest}`)).status,
    ).to.equal(202);
    const lone = layer('lone blob');
    await pushBlob(repo, lone);
    const unreferenced = await must(pushImage(repo, 'placeholder-u', [layer('unreferenced')]));
    expect((await client.request('DELETE', `/v2/${repo}/manifests/placeholder-u`)).status).to.equal(
      202,
    );

    const garbageBlobs = new Map<string, Buffer>([[sha256(lone), lone]]);
    for (const image of [untagged, deleted, unreferenced])
      for (const [d, b] of image.blobs) if (b !== shared) garbageBlobs.set(d, b);
    return {
      live: [kept, index, { ...referrer, reference: referrer.digest }],
      garbageBlobs,
      garbageManifests: [untagged.digest, unreferenced.digest],
      shared,
    };
  }

  /** Pushes tagged images (some as indexes) in a loop until stopped; on a refusal, pushes the whole image again. */
  function pusher(
    repo: string,
    prefix: string,
    recycled: Buffer[],
    shared: Buffer,
  ): { stop(): Promise<{ pushed: Pushed[]; refusals: string[] }>; iterations(): number } {
    let stopping = false;
    let n = 0;
    const pushed: Pushed[] = [];
    const refusals: string[] = [];
    const loop = (async () => {
      while ((!stopping && n < 25) || n < 3) {
        const i = n++;
        const layers = [
          Buffer.from(`${prefix} layer ${i} ${randomBytes(8).toString('hex')}`),
          shared,
          ...recycled,
        ];
        for (let attempt = 0; attempt < 10; attempt++) {
          let { res, image } = await pushImage(
            repo,
            `${prefix}-${i}${i % 3 === 2 ? '-child' : ''}`,
            layers,
          );
          if (res.status === 201 && i % 3 === 2)
            ({ res, image } = await pushIndex(repo, `${prefix}-${i}`, [image]));
          if (res.status === 201) {
            pushed.push(image);
            break;
          }
          refusals.push(`${res.status} ${await errorCode(res)}`);
        }
      }
    })();
    return {
      async stop() {
        stopping = true;
        await loop;
        return { pushed, refusals };
      },
      iterations: () => n,
    };
  }

  async function whileLoaded(
    run: () => Promise<GcReport[]>,
    repo: string,
    recycled: Buffer[],
    shared: Buffer,
  ): Promise<{ reports: GcReport[]; pushed: Pushed[]; refusals: string[] }> {
    // Two clients push at once, each blob uploads then a manifest PUT, in a loop.
    const load = [
      pusher(repo, 'during-a', recycled, shared),
      pusher(repo, 'during-b', recycled, shared),
    ];
    const stop = async (): Promise<{ pushed: Pushed[]; refusals: string[] }[]> =>
      Promise.all(load.map((l) => l.stop()));
    try {
      while (load.some((l) => l.iterations() < 2)) await sleep(5);
      const reports = await run();
      const results = await stop();
      return {
        reports,
        pushed: results.flatMap((r) => r.pushed),
        refusals: results.flatMap((r) => r.refusals),
      };
    } catch (err) {
      await stop().catch(() => undefined);
      throw err;
    }
  }

  it('a dry run reports the garbage and deletes nothing', async () => {
    const repo = 'admin/dry';
    const { live, garbageBlobs, garbageManifests } = await populate(repo);
    age();
    const dry = await gc(`dryRun=true&graceSeconds=${GRACE}`);
    expect(dry).to.include({
      dryRun: true,
      manifestsDeleted: garbageManifests.length,
      blobsDeleted: garbageBlobs.size,
      uploadsDeleted: 0,
      orphanFilesDeleted: 0,
    });
    expect(dry.bytesFreed).to.equal([...garbageBlobs.values()].reduce((n, b) => n + b.length, 0));
    for (const digest of garbageBlobs.keys())
      expect(await hasBlobFile(digest), `file of ${digest}`).to.equal(true);
    // (Rows, not HEAD: a HEAD would count as a client's interest and keep them for the grace period.)
    const digests = sql.join(
      garbageManifests.map((d) => sql`${d}`),
      sql`, `,
    );
    const rows = await sqlRows<{ n: number }>(
      srv.app.store,
      sql`SELECT CAST(count(*) AS integer) AS n FROM manifests WHERE digest IN (${digests})`,
    );
    expect(rows, 'garbage manifests after a dry run').to.deep.equal([
      { n: garbageManifests.length },
    ]);
    for (const image of live) await expectIntact(repo, image.reference, image.digest);
    // Then the real run frees exactly what the dry run announced.
    const real = await gc(`graceSeconds=${GRACE}`);
    expect({ ...real, durationMs: 0 }).to.deep.equal({ ...dry, dryRun: false, durationMs: 0 });
    for (const digest of garbageBlobs.keys()) await expectBlobGone(repo, digest);
    for (const digest of garbageManifests) await expectManifestGone(repo, digest);
  });

  it(`collects while pushes go on (graceSeconds=${GRACE}): no push refused, nothing live lost`, async () => {
    const repo = 'admin/load';
    const { live, garbageBlobs, garbageManifests, shared } = await populate(repo);
    age();
    // The pusher re-uploads one garbage blob: it must come back to life, not be lost.
    const [recycledDigest, recycled] = [...garbageBlobs][0]!;
    const { reports, pushed, refusals } = await whileLoaded(
      async () => {
        const all: GcReport[] = [];
        for (let round = 0; round < 6; round++) {
          all.push(
            ...(await Promise.all([
              gc(`graceSeconds=${GRACE}`),
              gc(`dryRun=true&graceSeconds=${GRACE}`),
              gc(`graceSeconds=${GRACE}`),
            ])),
          );
          await sleep(20);
        }
        return all;
      },
      repo,
      [recycled],
      shared,
    );
    expect(refusals, 'pushes refused').to.deep.equal([]);
    expect(pushed.length).to.be.at.least(3);
    const dry = reports.filter((_, i) => i % 3 === 1);
    expect(
      dry.map((r) => r.dryRun),
      'dry runs report as dry runs',
    ).to.deep.equal([true, true, true, true, true, true]);
    const real = reports.filter((_, i) => i % 3 !== 1);
    expect(real.every((r) => !r.dryRun)).to.equal(true);
    expect(
      real.reduce((n, r) => n + r.blobsDeleted, 0),
      'blobs deleted',
    ).to.be.at.least(garbageBlobs.size - 1);
    expect(
      real.reduce((n, r) => n + r.bytesFreed, 0),
      'bytes freed',
    ).to.be.greaterThan(0);
    for (const image of [...live, ...pushed])
      await expectIntact(repo, image.reference, image.digest);
    expect(await expectEveryTagIntact(repo)).to.be.at.least(pushed.length + 2);
    for (const digest of garbageBlobs.keys())
      if (digest !== recycledDigest) await expectBlobGone(repo, digest);
    for (const digest of garbageManifests) await expectManifestGone(repo, digest);
  });

  it('collects while pushes go on (graceSeconds=0): a push may be refused, never left dangling', async () => {
    const repo = 'admin/eager';
    const { live, garbageBlobs, garbageManifests, shared } = await populate(repo);
    const [recycledDigest, recycled] = [...garbageBlobs][0]!;
    const { pushed, refusals } = await whileLoaded(
      async () => {
        const all: GcReport[] = [];
        for (let round = 0; round < 8; round++) {
          all.push(...(await Promise.all([gc('graceSeconds=0'), gc('graceSeconds=0')])));
          await sleep(20);
        }
        return all;
      },
      repo,
      [recycled],
      shared,
    );
    // The design's promise at grace 0: a manifest whose blob was swept is refused, never stored.
    expect(
      [...new Set(refusals)].every((r) => r === '400 MANIFEST_BLOB_UNKNOWN'),
      refusals.join(),
    ).to.equal(true);
    for (const image of [...live, ...pushed])
      await expectIntact(repo, image.reference, image.digest);
    expect(await expectEveryTagIntact(repo)).to.be.at.least(pushed.length + 2);
    for (const digest of garbageBlobs.keys())
      if (digest !== recycledDigest) await expectBlobGone(repo, digest);
    for (const digest of garbageManifests) await expectManifestGone(repo, digest);
  });

  it('the grace period covers the gap between an upload (or HEAD, or mount) and the manifest PUT', async () => {
    const repo = 'admin/window';
    const { garbageBlobs, garbageManifests } = await populate(repo);
    age();
    const [[reuploaded, reuploadedBytes], [headed, headedBytes], [mounted, mountedBytes]] = [
      ...garbageBlobs,
    ] as [[string, Buffer], [string, Buffer], [string, Buffer]];
    // A client re-uploads one garbage blob, finds another with HEAD, mounts a third into a new repository...
    await pushBlob(repo, reuploadedBytes);
    expect((await client.request('HEAD', `/v2/${repo}/blobs/${headed}`)).status).to.equal(200);
    const mount = await client.request(
      'POST',
      `/v2/admin/window2/blobs/uploads/?mount=${mounted}&from=${repo}`,
      { scope: `repository:admin/window2:pull,push repository:${repo}:pull` },
    );
    expect(mount.status).to.equal(201);
    // ... and re-pushes an old untagged manifest by digest, to reference it from an index.
    // Rows, not GET: reading it now would keep it by itself.
    const [old] = await sqlRows<{ content: Buffer }>(
      srv.app.store,
      sql`SELECT content FROM manifests WHERE repository = ${repo} AND digest = ${garbageManifests[1]!}`,
    );
    const oldBody = old!.content.toString('utf8');
    expect((await client.pushManifest(repo, garbageManifests[1]!, oldBody)).status).to.equal(201);
    // ... and finds another old untagged manifest with HEAD, to reference it too.
    const headedManifest = await client.request(
      'HEAD',
      `/v2/${repo}/manifests/${garbageManifests[0]!}`,
    );
    expect(headedManifest.status).to.equal(200);
    // GC runs in the gap.
    await gc(`graceSeconds=${GRACE}`);
    const config = Buffer.from('{"os":"linux","architecture":"arm64"}');
    await pushBlob(repo, config);
    await pushBlob('admin/window2', config);
    const manifest = (layers: [string, Buffer][]): string =>
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MANIFEST,
        config: {
          mediaType: 'application/vnd.oci.image.config.v1+json',
          digest: sha256(config),
          size: config.length,
        },
        layers: layers.map(([d, b]) => ({
          mediaType: 'application/vnd.oci.image.layer.v1.tar',
          digest: d,
          size: b.length,
        })),
      });
    const body = manifest([
      [reuploaded, reuploadedBytes],
      [headed, headedBytes],
    ]);
    const put = await client.pushManifest(repo, 'after-gap', body);
    expect(put.status, await put.clone().text()).to.equal(201);
    await expectIntact(repo, 'after-gap', sha256(body));
    const body2 = manifest([[mounted, mountedBytes]]);
    const put2 = await client.pushManifest('admin/window2', 'after-gap', body2);
    expect(put2.status, await put2.clone().text()).to.equal(201);
    await expectIntact('admin/window2', 'after-gap', sha256(body2));
    const index = JSON.stringify({
      schemaVersion: 2,
      mediaType: INDEX,
      manifests: [
        { mediaType: MANIFEST, digest: garbageManifests[1]!, size: Buffer.byteLength(oldBody) },
        {
          mediaType: MANIFEST,
          digest: garbageManifests[0]!,
          size: Number(headedManifest.headers.get('content-length')),
        },
      ],
    });
    const put3 = await client.pushManifest(repo, 'index-after-gap', index, INDEX);
    expect(put3.status, await put3.clone().text()).to.equal(201);
    await expectIntact(repo, 'index-after-gap', sha256(index));
  });
});
