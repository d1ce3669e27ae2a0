/**
 * The registry's tables in the PostgreSQL dialect: the same tables, columns, keys and indexes as
 * schema.ts (the SQLite dialect), checked by test/db/schema-parity.test.ts. Change both together
 * and run `npm run db:generate`, which writes the migrations of both.
 *
 * Types: times are milliseconds since the epoch and sizes are bytes, both past 2^31, so `bigint`
 * read as a JS number (exact up to 2^53, as SQLite's integers are in better-sqlite3); bytes are
 * `bytea`; JSON stays `text` (the code writes and parses it itself, byte for byte).
 */
import { sql } from 'drizzle-orm';
import { bigint, index, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { bytea, millis } from './pg-types.js';

export const repositories = pgTable('repositories', {
  name: text('name').primaryKey(),
  createdAt: millis('created_at').notNull(),
});

export const blobs = pgTable('blobs', {
  digest: text('digest').primaryKey(),
  size: bigint('size', { mode: 'number' }).notNull(),
  createdAt: millis('created_at').notNull(),
});

export const repositoryBlobs = pgTable(
  'repository_blobs',
  {
    repository: text('repository').notNull(),
    digest: text('digest').notNull(),
    createdAt: millis('created_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.repository, t.digest] }),
    index('repository_blobs_digest').on(t.digest),
  ],
);

export const manifests = pgTable(
  'manifests',
  {
    repository: text('repository').notNull(),
    digest: text('digest').notNull(),
    mediaType: text('media_type').notNull(),
    artifactType: text('artifact_type'),
    subject: text('subject'),
    annotations: text('annotations'),
    size: bigint('size', { mode: 'number' }).notNull(),
    content: bytea('content').notNull(),
    createdAt: millis('created_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.repository, t.digest] }),
    index('manifests_subject')
      .on(t.repository, t.subject)
      .where(sql`subject is not null`),
  ],
);

export const manifestRefs = pgTable(
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

export const tags = pgTable(
  'tags',
  {
    repository: text('repository').notNull(),
    name: text('name').notNull(),
    digest: text('digest').notNull(),
    updatedAt: millis('updated_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.repository, t.name] }),
    index('tags_digest').on(t.repository, t.digest),
  ],
);

export const uploads = pgTable(
  'uploads',
  {
    id: text('id').primaryKey(),
    repository: text('repository').notNull(),
    size: bigint('size', { mode: 'number' }).notNull(),
    createdAt: millis('created_at').notNull(),
    updatedAt: millis('updated_at').notNull(),
    owner: text('owner').notNull().default(''),
    state: text('state'),
  },
  (t) => [index('uploads_owner').on(t.owner)],
);

export const proxyTags = pgTable(
  'proxy_tags',
  {
    repository: text('repository').notNull(),
    tag: text('tag').notNull(),
    checkedAt: millis('checked_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.repository, t.tag] })],
);

export const proxyContent = pgTable(
  'proxy_content',
  {
    proxy: text('proxy').notNull(),
    repository: text('repository').notNull(),
    digest: text('digest').notNull(),
    kind: text('kind', { enum: ['blob', 'manifest'] }).notNull(),
    size: bigint('size', { mode: 'number' }).notNull(),
    lastPulledAt: millis('last_pulled_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.repository, t.digest] }),
    index('proxy_content_lru').on(t.proxy, t.lastPulledAt),
  ],
);

export const proxyStats = pgTable('proxy_stats', {
  proxy: text('proxy').primaryKey(),
  hits: bigint('hits', { mode: 'number' }).notNull().default(0),
  misses: bigint('misses', { mode: 'number' }).notNull().default(0),
  upstreamErrors: bigint('upstream_errors', { mode: 'number' }).notNull().default(0),
});

export const registryTouches = pgTable(
  'registry_touches',
  {
    kind: text('kind', { enum: ['blob', 'manifest'] }).notNull(),
    key: text('key').notNull(),
    at: millis('at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.kind, t.key] }), index('registry_touches_at').on(t.at)],
);
