/**
 * The store's app tables in the PostgreSQL dialect: the same tables, columns, keys and indexes as
 * store-schema.ts (the SQLite dialect, which documents each column), checked by
 * test/db/schema-parity.test.ts. Types as in schema.pg.ts. The search tables are raw SQL in the
 * migrations of both dialects (server/db/migrations*\/*_search.sql), in no schema file.
 */
import {
  bigint,
  boolean,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { id, millis } from '../../registry/metadata/pg-types.js';
import { accessKeys, namespaces } from './schema.pg.js';

export const apps = pgTable(
  'apps',
  {
    id: id(),
    appKey: text('app_key').notNull(),
    namespace: text('namespace').notNull(),
    name: text('name').notNull(),
    displayName: text('display_name').notNull().default(''),
    summary: text('summary').notNull().default(''),
    introduction: text('introduction').notNull().default(''),
    logoKey: text('logo_key'),
    logoType: text('logo_type'),
    tags: text('tags').notNull().default('[]'),
    categories: text('categories').notNull().default('[]'),
    sourceUrl: text('source_url').notNull().default(''),
    homeUrl: text('home_url').notNull().default(''),
    publishType: text('publish_type', { enum: ['public', 'private'] })
      .notNull()
      .default('private'),
    listed: boolean('listed').notNull().default(false),
    mirrorUpstream: text('mirror_upstream'),
    mirrorUrl: text('mirror_url'),
    moderation: text('moderation', { enum: ['unlisted', 'taken_down'] }),
    moderationReason: text('moderation_reason'),
    moderatedAt: millis('moderated_at'),
    createdAt: millis('created_at').notNull(),
    updatedAt: millis('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('apps_ns_name').on(t.namespace, t.name),
    uniqueIndex('apps_app_key').on(t.appKey),
  ],
);

export const versions = pgTable(
  'versions',
  {
    id: id(),
    appId: integer('app_id')
      .notNull()
      .references(() => apps.id, { onDelete: 'cascade' }),
    version: text('version').notNull(),
    alias: text('alias').notNull().default(''),
    description: text('description').notNull().default(''),
    state: text('state', { enum: ['draft', 'syncing', 'ready', 'failed'] }).notNull(),
    manifestDigest: text('manifest_digest').notNull(),
    templateDigest: text('template_digest').notNull(),
    template: text('template').notNull(),
    rainbondVersion: text('rainbond_version').notNull().default(''),
    arch: text('arch').notNull().default('amd64'),
    isPlugin: boolean('is_plugin').notNull().default(false),
    updateVersion: integer('update_version').notNull().default(1),
    upstreamDeletedAt: millis('upstream_deleted_at'),
    createdAt: millis('created_at').notNull(),
    updatedAt: millis('updated_at').notNull(),
    lastUsedAt: millis('last_used_at'),
  },
  (t) => [uniqueIndex('versions_app_version').on(t.appId, t.version)],
);

export const components = pgTable(
  'components',
  {
    versionId: integer('version_id')
      .notNull()
      .references(() => versions.id, { onDelete: 'cascade' }),
    serviceKey: text('service_key').notNull(),
    name: text('name').notNull().default(''),
    imageDigest: text('image_digest'),
    sourceRef: text('source_ref').notNull().default(''),
  },
  (t) => [primaryKey({ columns: [t.versionId, t.serviceKey] })],
);

export const packages = pgTable(
  'packages',
  {
    id: id(),
    appId: integer('app_id')
      .notNull()
      .references(() => apps.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    type: text('type', { enum: ['free'] })
      .notNull()
      .default('free'),
    versions: text('versions').notNull(),
    createdAt: millis('created_at').notNull(),
  },
  (t) => [uniqueIndex('packages_app_name').on(t.appId, t.name)],
);

export const appScreenshots = pgTable(
  'app_screenshots',
  {
    id: id(),
    appId: integer('app_id')
      .notNull()
      .references(() => apps.id, { onDelete: 'cascade' }),
    storageKey: text('storage_key').notNull(),
    mediaType: text('media_type').notNull(),
    caption: text('caption').notNull().default(''),
    position: integer('position').notNull(),
    createdAt: millis('created_at').notNull(),
  },
  (t) => [index('app_screenshots_app').on(t.appId, t.position)],
);

export const appStatsDaily = pgTable(
  'app_stats_daily',
  {
    appId: integer('app_id')
      .notNull()
      .references(() => apps.id, { onDelete: 'cascade' }),
    day: text('day').notNull(),
    visits: integer('visits').notNull().default(0),
    installs: integer('installs').notNull().default(0),
    pulls: integer('pulls').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.appId, t.day] })],
);

export const appVisitors = pgTable(
  'app_visitors',
  {
    appId: integer('app_id')
      .notNull()
      .references(() => apps.id, { onDelete: 'cascade' }),
    day: text('day').notNull(),
    visitor: text('visitor').notNull(),
  },
  (t) => [primaryKey({ columns: [t.appId, t.day, t.visitor] })],
);

export const syncJobs = pgTable(
  'sync_jobs',
  {
    id: id(),
    versionId: integer('version_id')
      .notNull()
      .references(() => versions.id, { onDelete: 'cascade' }),
    state: text('state', { enum: ['pending', 'copying', 'done', 'failed'] }).notNull(),
    components: text('components').notNull(),
    error: text('error'),
    owner: text('owner'),
    heartbeatAt: millis('heartbeat_at'),
    createdAt: millis('created_at').notNull(),
    updatedAt: millis('updated_at').notNull(),
  },
  (t) => [index('sync_jobs_version').on(t.versionId)],
);

export const pullCredentials = pgTable(
  'pull_credentials',
  {
    id: id(),
    accessKeyId: integer('access_key_id')
      .notNull()
      .references(() => accessKeys.id, { onDelete: 'cascade' }),
    appId: integer('app_id')
      .notNull()
      .references(() => apps.id, { onDelete: 'cascade' }),
    prefix: text('prefix').notNull(),
    secretHash: text('secret_hash').notNull(),
    createdAt: millis('created_at').notNull(),
    expiresAt: millis('expires_at').notNull(),
  },
  (t) => [
    index('pull_credentials_prefix').on(t.prefix),
    index('pull_credentials_key_app').on(t.accessKeyId, t.appId),
    index('pull_credentials_expires').on(t.expiresAt),
  ],
);

export const sourceCredentials = pgTable(
  'source_credentials',
  {
    versionId: integer('version_id')
      .notNull()
      .references(() => versions.id, { onDelete: 'cascade' }),
    serviceKey: text('service_key').notNull(),
    hubUrl: text('hub_url').notNull().default(''),
    username: text('username').notNull(),
    password: text('password').notNull(),
    createdAt: millis('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.versionId, t.serviceKey] })],
);

export const namespaceImmutability = pgTable('namespace_immutability', {
  namespaceId: integer('namespace_id')
    .primaryKey()
    .references(() => namespaces.id, { onDelete: 'cascade' }),
  versions: boolean('versions').notNull().default(false),
  tagPatterns: text('tag_patterns').notNull().default('[]'),
  updatedAt: millis('updated_at').notNull(),
});

export const mirrorUpstreams = pgTable('mirror_upstreams', {
  name: text('name').primaryKey(),
  state: text('state', { enum: ['idle', 'running'] }).notNull(),
  startedAt: millis('started_at'),
  finishedAt: millis('finished_at'),
  error: text('error'),
});

export const mirrorApps = pgTable(
  'mirror_apps',
  {
    upstream: text('upstream').notNull(),
    app: text('app').notNull(),
    bytes: bigint('bytes', { mode: 'number' }).notNull().default(0),
    error: text('error'),
    updatedAt: millis('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.upstream, t.app] })],
);

export const retentionRules = pgTable(
  'retention_rules',
  {
    namespace: text('namespace').notNull(),
    app: text('app').notNull().default(''),
    keepNewest: integer('keep_newest'),
    keepPulledDays: integer('keep_pulled_days'),
    untaggedHours: integer('untagged_hours'),
    updatedAt: millis('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.namespace, t.app] })],
);

export const namespaceQuotas = pgTable('namespace_quotas', {
  namespaceId: integer('namespace_id')
    .primaryKey()
    .references(() => namespaces.id, { onDelete: 'cascade' }),
  limitBytes: bigint('limit_bytes', { mode: 'number' }).notNull().default(0),
  warnBytes: bigint('warn_bytes', { mode: 'number' }).notNull().default(0),
  warned: boolean('warned').notNull().default(false),
  updatedAt: millis('updated_at').notNull(),
  /** See store-schema.ts: the shared usage figure of PostgreSQL's quota checks. */
  usedBytes: bigint('used_bytes', { mode: 'number' }).notNull().default(0),
  countedAt: millis('counted_at').notNull().default(0),
});

/** See store-schema.ts: bytes let in by a quota check, maybe not linked yet. */
export const quotaReservations = pgTable(
  'quota_reservations',
  {
    namespaceId: integer('namespace_id')
      .notNull()
      .references(() => namespaces.id, { onDelete: 'cascade' }),
    digest: text('digest').notNull(),
    size: bigint('size', { mode: 'number' }).notNull(),
    reservedAt: millis('reserved_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.namespaceId, t.digest] })],
);
