/**
 * The registry's tables: the truth for repositories, tags, manifests and which blobs exist.
 * Blob bytes live in blob storage; a blob is visible only once its row exists.
 */
import { sql } from 'drizzle-orm';
import { blob, index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';

export const repositories = sqliteTable('repositories', {
  name: text('name').primaryKey(),
  createdAt: integer('created_at').notNull(),
});

export const blobs = sqliteTable('blobs', {
  digest: text('digest').primaryKey(),
  size: integer('size').notNull(),
  createdAt: integer('created_at').notNull(),
});

/** Which repositories may serve a blob (a blob is pulled through a repository that links it). */
export const repositoryBlobs = sqliteTable(
  'repository_blobs',
  {
    repository: text('repository').notNull(),
    digest: text('digest').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.repository, t.digest] }),
    index('repository_blobs_digest').on(t.digest),
  ],
);

export const manifests = sqliteTable(
  'manifests',
  {
    repository: text('repository').notNull(),
    digest: text('digest').notNull(),
    mediaType: text('media_type').notNull(),
    artifactType: text('artifact_type'),
    subject: text('subject'),
    annotations: text('annotations'),
    size: integer('size').notNull(),
    content: blob('content', { mode: 'buffer' }).notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.repository, t.digest] }),
    index('manifests_subject')
      .on(t.repository, t.subject)
      .where(sql`subject is not null`),
  ],
);

/** Edges of the content graph: a manifest's config and layers (blob), an index's children (manifest). */
export const manifestRefs = sqliteTable(
  'manifest_refs',
  {
    repository: text('repository').notNull(),
    parent: text('parent').notNull(),
    child: text('child').notNull(),
    kind: text('kind', { enum: ['blob', 'manifest'] }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.repository, t.parent, t.child] }),
    index('manifest_refs_child').on(t.child),
  ],
);

export const tags = sqliteTable(
  'tags',
  {
    repository: text('repository').notNull(),
    name: text('name').notNull(),
    digest: text('digest').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.repository, t.name] }),
    index('tags_digest').on(t.repository, t.digest),
  ],
);

export const uploads = sqliteTable(
  'uploads',
  {
    id: text('id').primaryKey(),
    repository: text('repository').notNull(),
    size: integer('size').notNull(),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
    /** Who opened the session through /v2 (its open sessions are capped); '' for the store's own. */
    owner: text('owner').notNull().default(''),
    /** Where the bytes are staged, for drivers that stage in storage (S3 multipart): JSON. */
    state: text('state'),
  },
  (t) => [index('uploads_owner').on(t.owner)],
);

/** When a pull-through cache last asked its upstream what a cached tag points at. */
export const proxyTags = sqliteTable(
  'proxy_tags',
  {
    repository: text('repository').notNull(),
    tag: text('tag').notNull(),
    checkedAt: integer('checked_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.repository, t.tag] })],
);

/** Content a pull-through cache holds, with its size and last pull (for maxBytes eviction). */
export const proxyContent = sqliteTable(
  'proxy_content',
  {
    proxy: text('proxy').notNull(),
    repository: text('repository').notNull(),
    digest: text('digest').notNull(),
    kind: text('kind', { enum: ['blob', 'manifest'] }).notNull(),
    size: integer('size').notNull(),
    lastPulledAt: integer('last_pulled_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.repository, t.digest] }),
    index('proxy_content_lru').on(t.proxy, t.lastPulledAt),
  ],
);

/** Counters of a pull-through cache, kept across restarts. */
export const proxyStats = sqliteTable('proxy_stats', {
  proxy: text('proxy').primaryKey(),
  hits: integer('hits').notNull().default(0),
  misses: integer('misses').notNull().default(0),
  upstreamErrors: integer('upstream_errors').notNull().default(0),
});

/**
 * When each blob (`kind` 'blob', key the digest) or manifest ('manifest', `repository@digest`)
 * was last pushed or looked at, by any process (registry/gc/shared-touches.ts). Written on
 * PostgreSQL only, in batches, so GC in one process spares what another has just used; one SQLite
 * process keeps these in memory.
 */
export const registryTouches = sqliteTable(
  'registry_touches',
  {
    kind: text('kind', { enum: ['blob', 'manifest'] }).notNull(),
    key: text('key').notNull(),
    at: integer('at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.kind, t.key] }), index('registry_touches_at').on(t.at)],
);
