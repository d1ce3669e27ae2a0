/**
 * Every SQL statement of the registry, prepared once. Methods are synchronous: better-sqlite3
 * transactions hold no `await`, so a transaction here is atomic with respect to every other
 * request of the process (GC relies on this).
 */
import type { Statement } from 'better-sqlite3';
import type { Digest } from '../../schemas/oci.js';
import type { SqliteDb } from './sqlite.js';

export interface StoredManifest {
  digest: Digest;
  mediaType: string;
  size: number;
  content: Buffer;
}

export interface ManifestRow {
  repository: string;
  digest: Digest;
  mediaType: string;
  artifactType: string | null;
  subject: Digest | null;
  annotations: Record<string, string> | null;
  content: Buffer;
  refs: { child: Digest; kind: 'blob' | 'manifest' }[];
}

export interface ReferrerRow {
  digest: Digest;
  mediaType: string;
  size: number;
  artifactType: string | null;
  annotations: string | null;
}

export interface UploadRow {
  id: string;
  repository: string;
  size: number;
  createdAt: number;
  updatedAt: number;
}

export class RegistryMetadata {
  private readonly s: Record<string, Statement>;
  /**
   * Last time each manifest (`repository@digest`) was pushed or read. GC keeps recent ones alive,
   * as it keeps recently touched blobs: a re-push of an old untagged manifest, or a HEAD that finds
   * it, is followed by the PUT of an index that needs it.
   */
  readonly touchedManifests = new Map<string, number>();

  constructor(
    readonly db: SqliteDb,
    private readonly now: () => number = Date.now,
  ) {
    const p = (sql: string): Statement => db.prepare(sql);
    this.s = {
      ensureRepo: p(
        'insert into repositories (name, created_at) values (?, ?) on conflict do nothing',
      ),
      repoExists: p('select 1 from repositories where name = ?'),
      blob: p('select size from blobs where digest = ?'),
      repoBlob: p(
        'select b.size as size from repository_blobs rb join blobs b on b.digest = rb.digest where rb.repository = ? and rb.digest = ?',
      ),
      insertBlob: p(
        'insert into blobs (digest, size, created_at) values (?, ?, ?) on conflict do nothing',
      ),
      linkBlob: p(
        'insert into repository_blobs (repository, digest, created_at) values (?, ?, ?) on conflict do nothing',
      ),
      unlinkBlob: p('delete from repository_blobs where repository = ? and digest = ?'),
      manifestByTag: p(
        'select m.digest as digest, m.media_type as mediaType, m.size as size, m.content as content from tags t join manifests m on m.repository = t.repository and m.digest = t.digest where t.repository = ? and t.name = ?',
      ),
      manifestByDigest: p(
        'select digest, media_type as mediaType, size, content from manifests where repository = ? and digest = ?',
      ),
      manifestExists: p('select 1 from manifests where repository = ? and digest = ?'),
      insertManifest: p(
        `insert into manifests (repository, digest, media_type, artifact_type, subject, annotations, size, content, created_at)
         values (?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict do nothing`,
      ),
      insertRef: p(
        'insert into manifest_refs (repository, parent, child, kind) values (?, ?, ?, ?) on conflict do nothing',
      ),
      upsertTag: p(
        `insert into tags (repository, name, digest, updated_at) values (?, ?, ?, ?)
         on conflict (repository, name) do update set digest = excluded.digest, updated_at = excluded.updated_at`,
      ),
      tagDigest: p('select digest from tags where repository = ? and name = ?'),
      deleteTag: p('delete from tags where repository = ? and name = ?'),
      deleteTagsOf: p('delete from tags where repository = ? and digest = ?'),
      tagsOf: p('select name from tags where repository = ? and digest = ? order by name'),
      referenced: p('select 1 from manifest_refs where repository = ? and child = ? limit 1'),
      deleteManifest: p('delete from manifests where repository = ? and digest = ?'),
      deleteRefsOf: p('delete from manifest_refs where repository = ? and parent = ?'),
      listTags: p('select name from tags where repository = ? and name > ? order by name limit ?'),
      listRepos: p('select name from repositories where name > ? order by name limit ?'),
      referrers: p(
        'select digest, media_type as mediaType, size, artifact_type as artifactType, annotations from manifests where repository = ? and subject = ? order by created_at, digest',
      ),
      createUpload: p(
        'insert into uploads (id, repository, size, created_at, updated_at, owner) values (?, ?, 0, ?, ?, ?)',
      ),
      openUploadsOf: p('select count(*) as n from uploads where owner = ?'),
      upload: p(
        'select id, repository, size, created_at as createdAt, updated_at as updatedAt from uploads where id = ?',
      ),
      setUploadSize: p('update uploads set size = ?, updated_at = ? where id = ?'),
      uploadState: p('select state from uploads where id = ?'),
      advanceUpload: p(
        'update uploads set size = ?, state = ?, updated_at = ? where id = ? and size = ?',
      ),
      deleteUpload: p('delete from uploads where id = ?'),
    };
  }

  ensureRepository(name: string): void {
    this.s.ensureRepo!.run(name, this.now());
  }

  repositoryExists(name: string): boolean {
    return this.s.repoExists!.get(name) !== undefined;
  }

  blobSize(digest: Digest): number | undefined {
    return (this.s.blob!.get(digest) as { size: number } | undefined)?.size;
  }

  /** The size of a blob that `repository` may serve, or undefined. */
  repositoryBlobSize(repository: string, digest: Digest): number | undefined {
    return (this.s.repoBlob!.get(repository, digest) as { size: number } | undefined)?.size;
  }

  /** Records a committed blob and links it into a repository, atomically. */
  addBlob(repository: string, digest: Digest, size: number): void {
    const now = this.now();
    this.db.transaction(() => {
      this.s.ensureRepo!.run(repository, now);
      this.s.insertBlob!.run(digest, size, now);
      this.s.linkBlob!.run(repository, digest, now);
    })();
  }

  /** Links an existing blob into another repository (cross-repository mount). */
  linkBlob(repository: string, digest: Digest): boolean {
    const now = this.now();
    return this.db.transaction(() => {
      if (this.blobSize(digest) === undefined) return false;
      this.s.ensureRepo!.run(repository, now);
      this.s.linkBlob!.run(repository, digest, now);
      return true;
    })();
  }

  unlinkBlob(repository: string, digest: Digest): boolean {
    return this.s.unlinkBlob!.run(repository, digest).changes > 0;
  }

  manifestByTag(repository: string, tag: string): StoredManifest | undefined {
    return this.touchManifest(
      repository,
      this.s.manifestByTag!.get(repository, tag) as StoredManifest | undefined,
    );
  }

  manifestByDigest(repository: string, digest: Digest): StoredManifest | undefined {
    return this.touchManifest(
      repository,
      this.s.manifestByDigest!.get(repository, digest) as StoredManifest | undefined,
    );
  }

  private touchManifest<T extends { digest: Digest } | undefined>(repository: string, found: T): T {
    if (found) this.touchedManifests.set(`${repository}@${found.digest}`, this.now());
    return found;
  }

  tagDigest(repository: string, tag: string): Digest | undefined {
    return (this.s.tagDigest!.get(repository, tag) as { digest: Digest } | undefined)?.digest;
  }

  tagsOf(repository: string, digest: Digest): string[] {
    return (this.s.tagsOf!.all(repository, digest) as { name: string }[]).map((r) => r.name);
  }

  /** Whether a manifest of the repository names `digest` (as a child, its config or a layer). */
  isReferenced(repository: string, digest: Digest): boolean {
    return this.s.referenced!.get(repository, digest) !== undefined;
  }

  /**
   * Stores a manifest, its graph edges and its tag in one transaction. Returns the references
   * that are missing (nothing is written then). `partial`: store it whatever it references is
   * held (a pull-through cache holds manifests before the blobs they name are pulled).
   */
  putManifest(row: ManifestRow, tag?: string, partial = false): { missing: Digest[] } {
    const now = this.now();
    return this.db.transaction(() => {
      const missing = partial
        ? []
        : row.refs
            .filter((ref) =>
              ref.kind === 'blob'
                ? this.repositoryBlobSize(row.repository, ref.child) === undefined
                : this.s.manifestExists!.get(row.repository, ref.child) === undefined,
            )
            .map((ref) => ref.child);
      if (missing.length > 0) return { missing };
      this.s.ensureRepo!.run(row.repository, now);
      const inserted = this.s.insertManifest!.run(
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
          this.s.insertRef!.run(row.repository, row.digest, ref.child, ref.kind);
      }
      if (tag !== undefined) this.s.upsertTag!.run(row.repository, tag, row.digest, now);
      this.touchManifest(row.repository, row);
      return { missing: [] };
    })();
  }

  /** Deletes a manifest, its edges and every tag pointing at it. */
  deleteManifest(repository: string, digest: Digest): { deleted: boolean; tags: string[] } {
    return this.db.transaction(() => {
      const tags = this.tagsOf(repository, digest);
      const deleted = this.s.deleteManifest!.run(repository, digest).changes > 0;
      if (deleted) {
        this.s.deleteTagsOf!.run(repository, digest);
        this.s.deleteRefsOf!.run(repository, digest);
      }
      return { deleted, tags: deleted ? tags : [] };
    })();
  }

  deleteTag(repository: string, tag: string): Digest | undefined {
    return this.db.transaction(() => {
      const digest = this.tagDigest(repository, tag);
      if (digest) this.s.deleteTag!.run(repository, tag);
      return digest;
    })();
  }

  listTags(repository: string, last: string, limit: number): string[] {
    return (this.s.listTags!.all(repository, last, limit) as { name: string }[]).map((r) => r.name);
  }

  listRepositories(last: string, limit: number): string[] {
    return (this.s.listRepos!.all(last, limit) as { name: string }[]).map((r) => r.name);
  }

  referrers(repository: string, subject: Digest): ReferrerRow[] {
    return this.s.referrers!.all(repository, subject) as ReferrerRow[];
  }

  /** `owner`: who opened it through /v2 ('' for the store's own uploads). */
  createUpload(id: string, repository: string, owner = ''): UploadRow {
    const now = this.now();
    this.db.transaction(() => {
      this.s.ensureRepo!.run(repository, now);
      this.s.createUpload!.run(id, repository, now, now, owner);
    })();
    return { id, repository, size: 0, createdAt: now, updatedAt: now };
  }

  /** Upload sessions `owner` has open. */
  openUploadsOf(owner: string): number {
    return (this.s.openUploadsOf!.get(owner) as { n: number }).n;
  }

  upload(id: string): UploadRow | undefined {
    return this.s.upload!.get(id) as UploadRow | undefined;
  }

  setUploadSize(id: string, size: number): void {
    this.s.setUploadSize!.run(size, this.now(), id);
  }

  /** The staging state of an upload (JSON, for drivers that stage in storage), or undefined. */
  uploadState(id: string): string | undefined {
    return (
      (this.s.uploadState!.get(id) as { state: string | null } | undefined)?.state ?? undefined
    );
  }

  /**
   * Moves an upload from `from` bytes to `size` with its new staging state. False when another
   * writer moved it first (the row's size is no longer `from`) or it is gone.
   */
  advanceUpload(id: string, from: number, size: number, state: string): boolean {
    return this.s.advanceUpload!.run(size, state, this.now(), id, from).changes > 0;
  }

  deleteUpload(id: string): void {
    this.s.deleteUpload!.run(id);
  }

  /** Points a tag at an existing manifest without a push (tags the store keeps for its apps). */
  setTag(repository: string, tag: string, digest: Digest): void {
    this.db
      .prepare(
        `insert into tags (repository, name, digest, updated_at) values (?, ?, ?, ?)
       on conflict (repository, name) do update set digest = excluded.digest, updated_at = excluded.updated_at`,
      )
      .run(repository, tag, digest, this.now());
  }

  /** Every (tag, digest) of a repository, for rebuilding indexes. */
  allTags(repository: string): { name: string; digest: Digest }[] {
    return this.db
      .prepare('select name, digest from tags where repository = ? order by name')
      .all(repository) as {
      name: string;
      digest: Digest;
    }[];
  }
}
