/**
 * The store's app tables: apps, versions, components, packages, statistics. Rows are derived
 * from what lands in the registry (an app version is a tag on a bundle or template manifest)
 * and can be rebuilt from it (reindex); listing, texts and statistics are the store's own.
 */
import {
  index,
  integer,
  primaryKey,
  sqliteTable,
  text,
  uniqueIndex,
} from 'drizzle-orm/sqlite-core';
import { accessKeys, namespaces } from './schema.js';

export const apps = sqliteTable(
  'apps',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** 32 lowercase hex characters: the Rainstore `appKeyID`, stable for the app's life. */
    appKey: text('app_key').notNull(),
    namespace: text('namespace').notNull(),
    name: text('name').notNull(),
    displayName: text('display_name').notNull().default(''),
    summary: text('summary').notNull().default(''),
    introduction: text('introduction').notNull().default(''),
    /** Storage key of the uploaded logo (under the data folder), with its media type. */
    logoKey: text('logo_key'),
    logoType: text('logo_type'),
    tags: text('tags').notNull().default('[]'),
    categories: text('categories').notNull().default('[]'),
    sourceUrl: text('source_url').notNull().default(''),
    homeUrl: text('home_url').notNull().default(''),
    publishType: text('publish_type', { enum: ['public', 'private'] })
      .notNull()
      .default('private'),
    listed: integer('listed', { mode: 'boolean' }).notNull().default(false),
    /** The `mirror.upstreams` entry this app is copied from (read-only here), with its url then. */
    mirrorUpstream: text('mirror_upstream'),
    mirrorUrl: text('mirror_url'),
    /**
     * An administrator's last moderation of the app (moderation.ts): `unlisted` (the owner may
     * list it again, which clears this) or `taken_down` (off the shelf until an administrator
     * restores it), with the reason shown to the owner and when.
     */
    moderation: text('moderation', { enum: ['unlisted', 'taken_down'] }),
    moderationReason: text('moderation_reason'),
    moderatedAt: integer('moderated_at'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('apps_ns_name').on(t.namespace, t.name),
    uniqueIndex('apps_app_key').on(t.appKey),
  ],
);

export const versions = sqliteTable(
  'versions',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    appId: integer('app_id')
      .notNull()
      .references(() => apps.id, { onDelete: 'cascade' }),
    version: text('version').notNull(),
    alias: text('alias').notNull().default(''),
    description: text('description').notNull().default(''),
    state: text('state', { enum: ['draft', 'syncing', 'ready', 'failed'] }).notNull(),
    /** The tagged manifest: the bundle index (ready) or the bare template manifest (draft). */
    manifestDigest: text('manifest_digest').notNull(),
    templateDigest: text('template_digest').notNull(),
    /** The template JSON as validated and normalised (group_version as pushed). */
    template: text('template').notNull(),
    rainbondVersion: text('rainbond_version').notNull().default(''),
    arch: text('arch').notNull().default('amd64'),
    isPlugin: integer('is_plugin', { mode: 'boolean' }).notNull().default(false),
    /** Bumped on every overwrite of the same version (Rainbond detects upgrades by it). */
    updateVersion: integer('update_version').notNull().default(1),
    /** A mirrored version its upstream no longer has (kept unless the upstream's `prune` is on). */
    upstreamDeletedAt: integer('upstream_deleted_at'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
    /** Last pull of its manifest or install of its template (retention's keepPulledDays); null: never. */
    lastUsedAt: integer('last_used_at'),
  },
  (t) => [uniqueIndex('versions_app_version').on(t.appId, t.version)],
);

export const components = sqliteTable(
  'components',
  {
    versionId: integer('version_id')
      .notNull()
      .references(() => versions.id, { onDelete: 'cascade' }),
    serviceKey: text('service_key').notNull(),
    name: text('name').notNull().default(''),
    /** Digest of the component's image manifest/index in the app's repository; null in a draft. */
    imageDigest: text('image_digest'),
    sourceRef: text('source_ref').notNull().default(''),
  },
  (t) => [primaryKey({ columns: [t.versionId, t.serviceKey] })],
);

export const packages = sqliteTable(
  'packages',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    appId: integer('app_id')
      .notNull()
      .references(() => apps.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    type: text('type', { enum: ['free'] })
      .notNull()
      .default('free'),
    /** JSON array of version strings the package covers. */
    versions: text('versions').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [uniqueIndex('packages_app_name').on(t.appId, t.name)],
);

/** An app's screenshots, shown on its Overview tab in `position` order (app-screenshots.ts). */
export const appScreenshots = sqliteTable(
  'app_screenshots',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    appId: integer('app_id')
      .notNull()
      .references(() => apps.id, { onDelete: 'cascade' }),
    /** Storage key of the image (content-named, under `screenshots/<appKey>/`), and its type. */
    storageKey: text('storage_key').notNull(),
    mediaType: text('media_type').notNull(),
    caption: text('caption').notNull().default(''),
    position: integer('position').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('app_screenshots_app').on(t.appId, t.position)],
);

export const appStatsDaily = sqliteTable(
  'app_stats_daily',
  {
    appId: integer('app_id')
      .notNull()
      .references(() => apps.id, { onDelete: 'cascade' }),
    /** UTC day, YYYY-MM-DD. */
    day: text('day').notNull(),
    visits: integer('visits').notNull().default(0),
    installs: integer('installs').notNull().default(0),
    pulls: integer('pulls').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.appId, t.day] })],
);

/** One row per (app, day, visitor) so a visitor counts once a day; old days are pruned. */
export const appVisitors = sqliteTable(
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

export const syncJobs = sqliteTable(
  'sync_jobs',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    versionId: integer('version_id')
      .notNull()
      .references(() => versions.id, { onDelete: 'cascade' }),
    state: text('state', { enum: ['pending', 'copying', 'done', 'failed'] }).notNull(),
    /** JSON: per component {serviceKey, source, state, digest?, error?, bytesDone, bytesTotal}. */
    components: text('components').notNull(),
    error: text('error'),
    /** The process running the job (null: none yet), and when it last said it still does. */
    owner: text('owner'),
    heartbeatAt: integer('heartbeat_at'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [index('sync_jobs_version').on(t.versionId)],
);

/**
 * The registry credentials an install template hands a Rainbond console: one row per secret,
 * issued to an installer's access key for one app (server/auth/pull-credentials.ts). Only the
 * secret's hash is kept; the key's revocation, the app's deletion and expiry end it.
 */
export const pullCredentials = sqliteTable(
  'pull_credentials',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** The installer's access key: the credential is worth no more than it. */
    accessKeyId: integer('access_key_id')
      .notNull()
      .references(() => accessKeys.id, { onDelete: 'cascade' }),
    appId: integer('app_id')
      .notNull()
      .references(() => apps.id, { onDelete: 'cascade' }),
    /** The first characters of the secret, used to find the row. */
    prefix: text('prefix').notNull(),
    /** sha256 of the whole secret (192 random bits: a slow hash adds nothing). */
    secretHash: text('secret_hash').notNull(),
    createdAt: integer('created_at').notNull(),
    /** Moved on by every template fetch of the same key and app. */
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [
    index('pull_credentials_prefix').on(t.prefix),
    index('pull_credentials_key_app').on(t.accessKeyId, t.appId),
    index('pull_credentials_expires').on(t.expiresAt),
  ],
);

/**
 * Registry credentials a draft's template named for a component's source registry (Rainstore
 * publishes them in `service_image`), kept for its image sync only: the stored template has them
 * blanked, nothing serves this table, and a new template or bundle under the version drops its rows.
 */
export const sourceCredentials = sqliteTable(
  'source_credentials',
  {
    versionId: integer('version_id')
      .notNull()
      .references(() => versions.id, { onDelete: 'cascade' }),
    serviceKey: text('service_key').notNull(),
    /** The template's `hub_url` beside them: the registry they are for ('' for any). */
    hubUrl: text('hub_url').notNull().default(''),
    username: text('username').notNull(),
    password: text('password').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.versionId, t.serviceKey] })],
);

/**
 * A namespace's immutability rules (issue 17 §2), opt-in: with `versions`, an app version's tag
 * cannot be moved, overwritten or deleted; `tagPatterns` (globs, JSON array) do the same for any
 * tag of the namespace's repositories that matches. Owners get past them only explicitly (force).
 */
export const namespaceImmutability = sqliteTable('namespace_immutability', {
  namespaceId: integer('namespace_id')
    .primaryKey()
    .references(() => namespaces.id, { onDelete: 'cascade' }),
  versions: integer('versions', { mode: 'boolean' }).notNull().default(false),
  tagPatterns: text('tag_patterns').notNull().default('[]'),
  updatedAt: integer('updated_at').notNull(),
});

/** One row per `mirror.upstreams` entry that has run: its state and last run (server/mirror). */
export const mirrorUpstreams = sqliteTable('mirror_upstreams', {
  name: text('name').primaryKey(),
  state: text('state', { enum: ['idle', 'running'] }).notNull(),
  startedAt: integer('started_at'),
  finishedAt: integer('finished_at'),
  /** The last run's failure: app, version and blob where it stopped. */
  error: text('error'),
});

/** What the last run of an upstream did per mirrored app (the versions are the app's own rows). */
export const mirrorApps = sqliteTable(
  'mirror_apps',
  {
    upstream: text('upstream').notNull(),
    /** The local `namespace/name`. */
    app: text('app').notNull(),
    bytes: integer('bytes').notNull().default(0),
    error: text('error'),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.upstream, t.app] })],
);

/**
 * Retention rules (issue 17 §3) of a namespace (`app` empty) or of one app, which then replace the
 * namespace's for it. A null field is no such rule. Keyed by names, so an app's rules outlive it.
 */
export const retentionRules = sqliteTable(
  'retention_rules',
  {
    namespace: text('namespace').notNull(),
    app: text('app').notNull().default(''),
    keepNewest: integer('keep_newest'),
    keepPulledDays: integer('keep_pulled_days'),
    untaggedHours: integer('untagged_hours'),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.namespace, t.app] })],
);

/**
 * A namespace's storage quota (issue 17 §1), set by the admin; 0 in either column: none.
 * `warned`: the warning level was passed and `quota_warning` emitted; cleared when usage falls
 * back below it, so each crossing is told once.
 */
export const namespaceQuotas = sqliteTable('namespace_quotas', {
  namespaceId: integer('namespace_id')
    .primaryKey()
    .references(() => namespaces.id, { onDelete: 'cascade' }),
  limitBytes: integer('limit_bytes').notNull().default(0),
  warnBytes: integer('warn_bytes').notNull().default(0),
  warned: integer('warned', { mode: 'boolean' }).notNull().default(false),
  updatedAt: integer('updated_at').notNull(),
  /**
   * The usage as last counted (at `counted_at`) plus what quota checks admitted since: the figure
   * every process's checks share on PostgreSQL, read and added to under this row's lock
   * (server/governance/quotas-pg.ts). SQLite's checks keep it in memory and leave these at 0.
   */
  usedBytes: integer('used_bytes').notNull().default(0),
  countedAt: integer('counted_at').notNull().default(0),
});

/**
 * Bytes a PostgreSQL quota check let in that may not be linked yet (an upload being placed, a
 * manifest being stored): a recount adds those of the last minutes whose digest the namespace
 * does not hold yet, so counting again never forgets a push under way in another process.
 * Unused on SQLite (its figure is per process).
 */
export const quotaReservations = sqliteTable(
  'quota_reservations',
  {
    namespaceId: integer('namespace_id')
      .notNull()
      .references(() => namespaces.id, { onDelete: 'cascade' }),
    digest: text('digest').notNull(),
    size: integer('size').notNull(),
    reservedAt: integer('reserved_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.namespaceId, t.digest] })],
);
