/**
 * The registry's metadata on SQLite: every statement prepared once, methods synchronous
 * underneath. better-sqlite3 transactions hold no `await`, so a transaction here is atomic with
 * respect to every other request of the process (GC's sweep relies on this).
 */
import type Database from 'better-sqlite3';
import type { Statement } from 'better-sqlite3';
import type { Digest } from '../../schemas/oci.js';
import type { StaleUpload } from '../uploads/blob-uploads.js';
import { METADATA_SQL, type MetadataStatement } from './metadata-sql.js';
import type {
  ManifestRow,
  ReferrerRow,
  RegistryMetadata,
  StoredManifest,
  Swept,
  SweepPlan,
  UntaggedManifest,
  UploadRow,
} from './registry-metadata.js';
import type { RegistryTotals } from './registry-totals.js';

/** The live set: tagged, young, recently touched, and all that these reach. */
const LIVE_MANIFESTS = `
  with recursive live(repository, digest) as (
    select repository, digest from tags
    union select repository, digest from manifests where created_at > :cutoff
    union select substr(value, 1, instr(value, '@') - 1), substr(value, instr(value, '@') + 1) from json_each(:touched)
    union select r.repository, r.child from manifest_refs r join live l
      on r.repository = l.repository and r.parent = l.digest where r.kind = 'manifest'
    union select m.repository, m.digest from manifests m join live l
      on m.repository = l.repository and m.subject = l.digest
  )`;

const DEAD_MANIFESTS = `${LIVE_MANIFESTS} select m.repository as repository, m.digest as digest from manifests m
  where not exists (select 1 from live l where l.repository = m.repository and l.digest = m.digest)`;

const DEAD_BLOBS = `${LIVE_MANIFESTS}, live_blobs(digest) as (
    select r.child from manifest_refs r join live l on r.repository = l.repository and r.parent = l.digest
    where r.kind = 'blob')
  select digest, size from blobs where created_at <= :cutoff
    and digest not in (select digest from live_blobs)`;

const UNTAGGED = `${LIVE_MANIFESTS} select m.repository as repository, m.digest as digest, m.created_at as createdAt
  from manifests m where substr(m.repository, 1, length(:prefix)) = :prefix and m.created_at <= :cutoff
  and not exists (select 1 from live l where l.repository = m.repository and l.digest = m.digest)
  order by m.repository, m.created_at`;

/** The statements that select one column of names, read plucked. */
const NAME_LISTS = ['tagsOf', 'listTags', 'listRepos'] as const satisfies MetadataStatement[];

export class SqliteRegistryMetadata implements RegistryMetadata {
  private readonly s: Record<MetadataStatement, Statement>;
  readonly touchedManifests = new Map<string, number>();

  constructor(
    private readonly db: Database.Database,
    private readonly now: () => number = Date.now,
  ) {
    this.s = Object.fromEntries(
      Object.entries(METADATA_SQL).map(([name, sql]) => [name, db.prepare(sql)]),
    ) as Record<MetadataStatement, Statement>;
    // Name lists come back as plain strings: a row object per name cost more than the query
    // (100 tags: 64 µs with objects, 26 µs plucked), and tags list is a hot read.
    for (const name of NAME_LISTS) this.s[name].pluck(true);
  }

  ensureRepository(name: string): Promise<void> {
    this.s.ensureRepo.run(name, this.now());
    return Promise.resolve();
  }

  repositoryExists(name: string): boolean {
    return this.s.repoExists.get(name) !== undefined;
  }

  blobSize(digest: Digest): number | undefined {
    return (this.s.blob.get(digest) as { size: number } | undefined)?.size;
  }

  repositoryBlobSize(repository: string, digest: Digest): number | undefined {
    return (this.s.repoBlob.get(repository, digest) as { size: number } | undefined)?.size;
  }

  addBlob(repository: string, digest: Digest, size: number): Promise<void> {
    const now = this.now();
    this.db.transaction(() => {
      this.s.ensureRepo.run(repository, now);
      this.s.insertBlob.run(digest, size, now);
      this.s.linkBlob.run(repository, digest, now);
    })();
    return Promise.resolve();
  }

  linkBlob(repository: string, digest: Digest): Promise<boolean> {
    const now = this.now();
    return Promise.resolve(
      this.db.transaction(() => {
        if (this.blobSize(digest) === undefined) return false;
        this.s.ensureRepo.run(repository, now);
        this.s.linkBlob.run(repository, digest, now);
        return true;
      })(),
    );
  }

  unlinkBlob(repository: string, digest: Digest): Promise<boolean> {
    return Promise.resolve(this.s.unlinkBlob.run(repository, digest).changes > 0);
  }

  manifestByTag(repository: string, tag: string): StoredManifest | undefined {
    return this.touch(repository, this.s.manifestByTag.get(repository, tag) as StoredManifest);
  }

  manifestByDigest(repository: string, digest: Digest): StoredManifest | undefined {
    return this.touch(
      repository,
      this.s.manifestByDigest.get(repository, digest) as StoredManifest | undefined,
    );
  }

  private touch<T extends { digest: Digest } | undefined>(repository: string, found: T): T {
    if (found) this.touchedManifests.set(`${repository}@${found.digest}`, this.now());
    return found;
  }

  tagDigest(repository: string, tag: string): Digest | undefined {
    return (this.s.tagDigest.get(repository, tag) as { digest: Digest } | undefined)?.digest;
  }

  tagsOf(repository: string, digest: Digest): string[] {
    return this.s.tagsOf.all(repository, digest) as string[];
  }

  isReferenced(repository: string, digest: Digest): boolean {
    return this.s.referenced.get(repository, digest) !== undefined;
  }

  putManifest(row: ManifestRow, tag?: string, partial = false): Promise<{ missing: Digest[] }> {
    const now = this.now();
    return Promise.resolve(
      this.db.transaction(() => {
        const missing = partial
          ? []
          : row.refs
              .filter((ref) =>
                ref.kind === 'blob'
                  ? this.repositoryBlobSize(row.repository, ref.child) === undefined
                  : this.s.manifestExists.get(row.repository, ref.child) === undefined,
              )
              .map((ref) => ref.child);
        if (missing.length > 0) return { missing };
        this.s.ensureRepo.run(row.repository, now);
        const inserted = this.s.insertManifest.run(
          row.repository,
          row.digest,
          row.mediaType,
          row.artifactType,
          row.subject,
          row.annotations ? JSON.stringify(row.annotations) : null,
          row.content.length,
          row.content,
          now,
        );
        if (inserted.changes > 0) {
          for (const ref of row.refs)
            this.s.insertRef.run(row.repository, row.digest, ref.child, ref.kind);
        }
        if (tag !== undefined) this.s.upsertTag.run(row.repository, tag, row.digest, now);
        this.touch(row.repository, row);
        return { missing: [] };
      })(),
    );
  }

  deleteManifest(
    repository: string,
    digest: Digest,
  ): Promise<{ deleted: boolean; tags: string[] }> {
    return Promise.resolve(
      this.db.transaction(() => {
        const tags = this.tagsOf(repository, digest);
        const deleted = this.s.deleteManifest.run(repository, digest).changes > 0;
        if (deleted) {
          this.s.deleteTagsOf.run(repository, digest);
          this.s.deleteRefsOf.run(repository, digest);
        }
        return { deleted, tags: deleted ? tags : [] };
      })(),
    );
  }

  deleteTag(repository: string, tag: string): Promise<Digest | undefined> {
    return Promise.resolve(
      this.db.transaction(() => {
        const digest = this.tagDigest(repository, tag);
        if (digest) this.s.deleteTag.run(repository, tag);
        return digest;
      })(),
    );
  }

  listTags(repository: string, last: string, limit: number): string[] {
    return this.s.listTags.all(repository, last, limit) as string[];
  }

  listRepositories(last: string, limit: number): string[] {
    return this.s.listRepos.all(last, limit) as string[];
  }

  referrers(repository: string, subject: Digest): ReferrerRow[] {
    return this.s.referrers.all(repository, subject) as ReferrerRow[];
  }

  createUpload(
    id: string,
    repository: string,
    owner = '',
    maxOpen = Infinity,
  ): Promise<UploadRow | undefined> {
    const now = this.now();
    const created = this.db.transaction(() => {
      if (owner !== '' && maxOpen !== Infinity && this.openUploadsOf(owner) >= maxOpen)
        return false;
      this.s.ensureRepo.run(repository, now);
      this.s.createUpload.run(id, repository, now, now, owner);
      return true;
    })();
    return Promise.resolve(
      created ? { id, repository, size: 0, createdAt: now, updatedAt: now } : undefined,
    );
  }

  openUploadsOf(owner: string): number {
    return (this.s.openUploadsOf.get(owner) as { n: number }).n;
  }

  upload(id: string): UploadRow | undefined {
    return this.s.upload.get(id) as UploadRow | undefined;
  }

  setUploadSize(id: string, size: number): Promise<void> {
    this.s.setUploadSize.run(size, this.now(), id);
    return Promise.resolve();
  }

  uploadState(id: string): string | undefined {
    return (this.s.uploadState.get(id) as { state: string | null } | undefined)?.state ?? undefined;
  }

  advanceUpload(id: string, from: number, size: number, state: string): Promise<boolean> {
    return Promise.resolve(this.s.advanceUpload.run(size, state, this.now(), id, from).changes > 0);
  }

  deleteUpload(id: string): Promise<void> {
    this.s.deleteUpload.run(id);
    return Promise.resolve();
  }

  setTag(repository: string, tag: string, digest: Digest): Promise<void> {
    this.s.upsertTag.run(repository, tag, digest, this.now());
    return Promise.resolve();
  }

  allTags(repository: string): { name: string; digest: Digest }[] {
    return this.s.allTags.all(repository) as { name: string; digest: Digest }[];
  }

  totals(): RegistryTotals {
    return this.s.totals.get() as RegistryTotals;
  }

  sweep(plan: SweepPlan): Promise<Swept> {
    const { cutoff, uploadCutoff, dryRun } = plan;
    const touched = JSON.stringify(plan.touched);
    const db = this.db;
    return Promise.resolve(
      db.transaction(() => {
        const deadManifests = db.prepare(DEAD_MANIFESTS).all({ cutoff, touched }) as {
          repository: string;
          digest: Digest;
        }[];
        const deadBlobs = (
          db.prepare(DEAD_BLOBS).all({ cutoff, touched }) as { digest: Digest; size: number }[]
        ).filter((b) => !plan.keepBlob(b.digest));
        const staleUploads = (this.s.staleUploads.all(uploadCutoff) as StaleUpload[]).filter(
          (u) => !plan.keepUpload(u.id),
        );
        if (!dryRun) {
          for (const m of deadManifests) {
            this.s.deleteManifest.run(m.repository, m.digest);
            this.s.deleteRefsOf.run(m.repository, m.digest);
          }
          for (const b of deadBlobs) {
            this.s.deleteBlob.run(b.digest);
            this.s.deleteLinksOf.run(b.digest);
          }
          for (const u of staleUploads) this.s.deleteUpload.run(u.id);
        }
        return { deadManifests, deadBlobs, staleUploads };
      })(),
    );
  }

  untaggedManifests(prefix: string, before: number): Promise<UntaggedManifest[]> {
    return Promise.resolve(
      this.db
        .prepare(UNTAGGED)
        .all({ cutoff: before, touched: '[]', prefix }) as UntaggedManifest[],
    );
  }
}
