/**
 * The registry's metadata on both engines (docs/decisions/0003): the same calls, the same
 * answers, and on PostgreSQL the locks that SQLite's single writer gave for free, checked with
 * two instances on one database standing for two store processes.
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import type { Digest } from '../../schemas/oci.js';
import {
  createRegistryMetadata,
  type ManifestRow,
  type RegistryMetadata,
  type SweepPlan,
} from '../../registry/metadata/registry-metadata.js';
import { GC_LOCK } from '../../registry/metadata/pg-metadata.js';
import { describeDialects } from '../helpers/dialects.js';

const digestOf = (text: string): Digest =>
  `sha256:${createHash('sha256').update(text).digest('hex')}` as Digest;

const REPO = 'acme/app';

function manifest(name: string, refs: ManifestRow['refs'], subject: Digest | null = null) {
  const content = Buffer.from(JSON.stringify({ name, refs }));
  return {
    repository: REPO,
    digest: digestOf(content.toString()),
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    artifactType: subject ? 'application/example' : null,
    subject,
    annotations: subject ? { note: name } : null,
    content,
    refs,
  } satisfies ManifestRow;
}

const sweepAll = (cutoff: number, dryRun = false): SweepPlan => ({
  cutoff,
  uploadCutoff: cutoff,
  touched: [],
  dryRun,
  keepBlob: () => false,
  keepUpload: () => false,
});

describeDialects('registry metadata', ({ dialect, open }) => {
  let now = 1_000;
  const clock = () => now;
  let meta: RegistryMetadata;

  beforeEach(async () => {
    now = 1_000;
    meta = createRegistryMetadata(await open(), clock);
  });

  it('records blobs, links them per repository and mounts them elsewhere', async () => {
    const blob = digestOf('layer');
    expect(await meta.blobSize(blob)).to.equal(undefined);
    await meta.addBlob(REPO, blob, 5_000_000_000); // past 2^32: bigint read back as a number
    expect(await meta.blobSize(blob)).to.equal(5_000_000_000);
    expect(await meta.repositoryBlobSize(REPO, blob)).to.equal(5_000_000_000);
    expect(await meta.repositoryBlobSize('other/app', blob)).to.equal(undefined);
    expect(await meta.linkBlob('other/app', blob)).to.equal(true);
    expect(await meta.linkBlob('other/app', digestOf('nothing'))).to.equal(false);
    expect(await meta.repositoryExists('other/app')).to.equal(true);
    expect(await meta.unlinkBlob('other/app', blob)).to.equal(true);
    expect(await meta.unlinkBlob('other/app', blob)).to.equal(false);
  });

  it('stores a manifest with its tag only when what it references is held', async () => {
    const layer = digestOf('l1');
    const image = manifest('image', [{ child: layer, kind: 'blob' }]);
    expect(await meta.putManifest(image, 'v1')).to.deep.equal({ missing: [layer] });
    expect(await meta.manifestByTag(REPO, 'v1')).to.equal(undefined);
    await meta.addBlob(REPO, layer, 2);
    expect(await meta.putManifest(image, 'v1')).to.deep.equal({ missing: [] });
    const byTag = await meta.manifestByTag(REPO, 'v1');
    expect(byTag?.digest).to.equal(image.digest);
    expect(byTag?.size).to.equal(image.content.length);
    expect(Buffer.compare(byTag!.content, image.content)).to.equal(0);
    expect((await meta.manifestByDigest(REPO, image.digest))?.mediaType).to.equal(image.mediaType);
    expect(await meta.tagDigest(REPO, 'v1')).to.equal(image.digest);
    expect(await meta.isReferenced(REPO, layer)).to.equal(true);
    await meta.setTag(REPO, 'latest', image.digest);
    expect(await meta.tagsOf(REPO, image.digest)).to.deep.equal(['latest', 'v1']);
    expect(await meta.listTags(REPO, '', 1)).to.deep.equal(['latest']);
    expect(await meta.listTags(REPO, 'latest', 10)).to.deep.equal(['v1']);
    expect(await meta.allTags(REPO)).to.deep.equal([
      { name: 'latest', digest: image.digest },
      { name: 'v1', digest: image.digest },
    ]);
    expect(await meta.listRepositories('', 10)).to.deep.equal([REPO]);
    expect(meta.touchedManifests.has(`${REPO}@${image.digest}`)).to.equal(true);
  });

  it('lists referrers and deletes a manifest with its tags', async () => {
    const base = manifest('base', []);
    await meta.putManifest(base, 'v1');
    const sig = manifest('signature', [], base.digest);
    await meta.putManifest(sig);
    const referrers = await meta.referrers(REPO, base.digest);
    expect(referrers).to.have.length(1);
    expect(referrers[0]).to.include({
      digest: sig.digest,
      artifactType: 'application/example',
      annotations: '{"note":"signature"}',
    });
    expect(await meta.deleteTag(REPO, 'nope')).to.equal(undefined);
    expect(await meta.deleteManifest(REPO, base.digest)).to.deep.equal({
      deleted: true,
      tags: ['v1'],
    });
    expect(await meta.tagDigest(REPO, 'v1')).to.equal(undefined);
    expect(await meta.deleteManifest(REPO, base.digest)).to.deep.equal({
      deleted: false,
      tags: [],
    });
  });

  it('keeps upload sessions, moves them forward once and caps them per owner', async () => {
    const a = await meta.createUpload('u-1', REPO, 'alice', 2);
    expect(a).to.deep.include({ id: 'u-1', repository: REPO, size: 0 });
    expect(await meta.createUpload('u-2', REPO, 'alice', 2)).to.not.equal(undefined);
    expect(await meta.createUpload('u-3', REPO, 'alice', 2)).to.equal(undefined);
    expect(await meta.createUpload('u-4', REPO, '', 2)).to.not.equal(undefined); // the store's own
    expect(await meta.openUploadsOf('alice')).to.equal(2);
    expect(await meta.advanceUpload('u-1', 0, 10, '{"parts":1}')).to.equal(true);
    expect(await meta.advanceUpload('u-1', 0, 20, '{"parts":2}')).to.equal(false); // moved first
    expect((await meta.upload('u-1'))?.size).to.equal(10);
    expect(await meta.uploadState('u-1')).to.equal('{"parts":1}');
    await meta.setUploadSize('u-2', 7);
    expect((await meta.upload('u-2'))?.size).to.equal(7);
    await meta.deleteUpload('u-2');
    expect(await meta.upload('u-2')).to.equal(undefined);
    const totals = await meta.totals();
    expect(totals).to.deep.include({ repositories: 1, uploads: 2, uploadBytes: 10 });
  });

  it('sweeps what nothing keeps, and spares the tagged, the young and the touched', async () => {
    const kept = digestOf('kept layer');
    const dead = digestOf('dead layer');
    await meta.addBlob(REPO, kept, 1);
    await meta.addBlob(REPO, dead, 2);
    const tagged = manifest('tagged', [{ child: kept, kind: 'blob' }]);
    const untagged = manifest('untagged', [{ child: dead, kind: 'blob' }]);
    const touched = manifest('touched', []);
    await meta.putManifest(tagged, 'v1');
    await meta.putManifest(untagged);
    await meta.putManifest(touched);
    await meta.createUpload('stale', REPO, 'alice');
    now = 10_000;
    await meta.putManifest(manifest('young', []));
    expect(await meta.untaggedManifests('acme/', 5_000)).to.deep.equal(
      [untagged, touched]
        .map((m) => ({ repository: REPO, digest: m.digest, createdAt: 1_000 }))
        .sort((x, y) => x.digest.localeCompare(y.digest)),
    );
    const plan = { ...sweepAll(5_000), touched: [`${REPO}@${touched.digest}`] };
    const dry = await meta.sweep({ ...plan, dryRun: true });
    expect(dry.deadManifests.map((m) => m.digest)).to.deep.equal([untagged.digest]);
    expect(dry.deadBlobs).to.deep.equal([{ digest: dead, size: 2 }]);
    expect(dry.staleUploads.map((u) => u.id)).to.deep.equal(['stale']);
    expect(await meta.manifestByDigest(REPO, untagged.digest)).to.not.equal(undefined);
    await meta.sweep(plan);
    expect(await meta.manifestByDigest(REPO, untagged.digest)).to.equal(undefined);
    expect(await meta.blobSize(dead)).to.equal(undefined);
    expect(await meta.blobSize(kept)).to.equal(1);
    expect(await meta.upload('stale')).to.equal(undefined);
    expect(await meta.manifestByDigest(REPO, touched.digest)).to.not.equal(undefined);
  });

  it('keeps what an index reaches and the referrers of what is kept', async () => {
    const child = manifest('child', []);
    const index = manifest('index', [{ child: child.digest, kind: 'manifest' }]);
    const sig = manifest('sig', [], index.digest);
    await meta.putManifest(child);
    await meta.putManifest(index, 'v1');
    await meta.putManifest(sig);
    now = 10_000;
    const swept = await meta.sweep(sweepAll(5_000));
    expect(swept.deadManifests).to.deep.equal([]);
    await meta.deleteTag(REPO, 'v1');
    const after = await meta.sweep(sweepAll(5_000));
    expect(after.deadManifests.map((m) => m.digest).sort()).to.deep.equal(
      [child.digest, index.digest, sig.digest].sort(),
    );
  });

  if (dialect === 'postgres') {
    it('caps upload sessions across processes: concurrent starts take the last slot once', async () => {
      const store = await open();
      const one = createRegistryMetadata(store, clock);
      const two = createRegistryMetadata(store, clock);
      const made = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 ? one : two).createUpload(`c-${i}`, REPO, 'bob', 3),
        ),
      );
      expect(made.filter((m) => m !== undefined)).to.have.length(3);
      expect(await one.openUploadsOf('bob')).to.equal(3);
    });

    it('holds a sweep back while a push is inside its transaction, in any process', async () => {
      const store = await open();
      if (store.dialect !== 'postgres') throw new Error('postgres expected');
      const gcSide = createRegistryMetadata(store, clock);
      const push = await store.pool.connect();
      try {
        await push.query('BEGIN');
        await push.query('SELECT pg_advisory_xact_lock_shared($1)', [GC_LOCK]);
        let swept = false;
        const sweeping = gcSide.sweep(sweepAll(5_000)).then(() => (swept = true));
        await new Promise((r) => setTimeout(r, 300));
        expect(swept, 'sweep waited for the push').to.equal(false);
        await push.query('COMMIT');
        await sweeping;
        expect(swept).to.equal(true);
      } finally {
        push.release();
      }
    });
  }
});
