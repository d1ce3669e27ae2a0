/**
 * The registry's statements, written once for both engines: plain SQL that SQLite and
 * PostgreSQL read alike (`?` placeholders; the PostgreSQL side numbers them). Only GC's graph
 * walk differs, and lives with each engine.
 */
export const METADATA_SQL = {
  ensureRepo: 'insert into repositories (name, created_at) values (?, ?) on conflict do nothing',
  repoExists: 'select 1 from repositories where name = ?',
  blob: 'select size from blobs where digest = ?',
  repoBlob:
    'select b.size as size from repository_blobs rb join blobs b on b.digest = rb.digest where rb.repository = ? and rb.digest = ?',
  insertBlob:
    'insert into blobs (digest, size, created_at) values (?, ?, ?) on conflict do nothing',
  linkBlob:
    'insert into repository_blobs (repository, digest, created_at) values (?, ?, ?) on conflict do nothing',
  unlinkBlob: 'delete from repository_blobs where repository = ? and digest = ?',
  manifestByTag:
    'select m.digest as digest, m.media_type as "mediaType", m.size as size, m.content as content from tags t join manifests m on m.repository = t.repository and m.digest = t.digest where t.repository = ? and t.name = ?',
  manifestByDigest:
    'select digest, media_type as "mediaType", size, content from manifests where repository = ? and digest = ?',
  manifestExists: 'select 1 from manifests where repository = ? and digest = ?',
  insertManifest: `insert into manifests (repository, digest, media_type, artifact_type, subject, annotations, size, content, created_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict do nothing`,
  insertRef:
    'insert into manifest_refs (repository, parent, child, kind) values (?, ?, ?, ?) on conflict do nothing',
  upsertTag: `insert into tags (repository, name, digest, updated_at) values (?, ?, ?, ?)
     on conflict (repository, name) do update set digest = excluded.digest, updated_at = excluded.updated_at`,
  tagDigest: 'select digest from tags where repository = ? and name = ?',
  deleteTag: 'delete from tags where repository = ? and name = ?',
  deleteTagsOf: 'delete from tags where repository = ? and digest = ?',
  tagsOf: 'select name from tags where repository = ? and digest = ? order by name',
  allTags: 'select name, digest from tags where repository = ? order by name',
  referenced: 'select 1 from manifest_refs where repository = ? and child = ? limit 1',
  deleteManifest: 'delete from manifests where repository = ? and digest = ?',
  deleteRefsOf: 'delete from manifest_refs where repository = ? and parent = ?',
  listTags: 'select name from tags where repository = ? and name > ? order by name limit ?',
  listRepos: 'select name from repositories where name > ? order by name limit ?',
  referrers:
    'select digest, media_type as "mediaType", size, artifact_type as "artifactType", annotations from manifests where repository = ? and subject = ? order by created_at, digest',
  createUpload:
    'insert into uploads (id, repository, size, created_at, updated_at, owner) values (?, ?, 0, ?, ?, ?)',
  openUploadsOf: 'select count(*) as n from uploads where owner = ?',
  upload:
    'select id, repository, size, created_at as "createdAt", updated_at as "updatedAt" from uploads where id = ?',
  setUploadSize: 'update uploads set size = ?, updated_at = ? where id = ?',
  uploadState: 'select state from uploads where id = ?',
  advanceUpload: 'update uploads set size = ?, state = ?, updated_at = ? where id = ? and size = ?',
  deleteUpload: 'delete from uploads where id = ?',
  staleUploads: 'select id, size, state from uploads where updated_at <= ?',
  deleteBlob: 'delete from blobs where digest = ?',
  deleteLinksOf: 'delete from repository_blobs where digest = ?',
  totals: `select
    (select count(*) from repositories) as repositories,
    (select count(*) from manifests) as manifests,
    (select count(*) from blobs) as blobs,
    (select cast(coalesce(sum(size), 0) as bigint) from blobs) as "blobBytes",
    (select count(*) from uploads) as uploads,
    (select cast(coalesce(sum(size), 0) as bigint) from uploads) as "uploadBytes"`,
} as const;

export type MetadataStatement = keyof typeof METADATA_SQL;
