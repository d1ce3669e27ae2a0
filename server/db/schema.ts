/**
 * The store's tables. The registry's own tables live in registry/metadata/schema.ts; both are in
 * one SQLite file and one migration history (drizzle.config.ts lists both schema files).
 */
import {
  blob,
  index,
  integer,
  primaryKey,
  sqliteTable,
  text,
  uniqueIndex,
} from 'drizzle-orm/sqlite-core';

export const users = sqliteTable(
  'users',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    name: text('name').notNull(),
    phone: text('phone'),
    displayName: text('display_name').notNull().default(''),
    role: text('role', { enum: ['admin', 'user'] })
      .notNull()
      .default('user'),
    disabled: integer('disabled', { mode: 'boolean' }).notNull().default(false),
    bio: text('bio').notNull().default(''),
    website: text('website').notNull().default(''),
    /** The avatar image's bytes (at most 512 KiB, checked by type) and media type. */
    avatar: blob('avatar', { mode: 'buffer' }),
    avatarType: text('avatar_type'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [uniqueIndex('users_name').on(t.name), uniqueIndex('users_phone').on(t.phone)],
);

export const accessKeys = sqliteTable(
  'access_keys',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id),
    name: text('name').notNull(),
    /** The first characters of the key, shown in lists and used to find the row. */
    prefix: text('prefix').notNull(),
    /** sha256 of the whole key (keys are 192-bit random: a slow hash adds nothing). */
    secretHash: text('secret_hash').notNull(),
    /** JSON array of 'read' | 'install' | 'push'. */
    scopes: text('scopes').notNull(),
    createdAt: integer('created_at').notNull(),
    lastUsedAt: integer('last_used_at'),
    expiresAt: integer('expires_at'),
    revokedAt: integer('revoked_at'),
  },
  (t) => [index('access_keys_prefix').on(t.prefix), index('access_keys_user').on(t.userId)],
);

/** One-time login codes: HMAC of phone and code (never the code), single use, burnt by wrong tries. */
export const loginCodes = sqliteTable(
  'login_codes',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    phone: text('phone').notNull(),
    codeHash: text('code_hash').notNull(),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
    attempts: integer('attempts').notNull().default(0),
    /** Set when used or burnt; a code is live while this is null. */
    consumedAt: integer('consumed_at'),
    address: text('address').notNull().default(''),
  },
  (t) => [index('login_codes_phone').on(t.phone, t.createdAt)],
);

/** Login sessions: the sha256 of the session token (the web cookie or an API bearer token). */
export const sessions = sqliteTable(
  'sessions',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    tokenHash: text('token_hash').notNull(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
    lastSeenAt: integer('last_seen_at').notNull(),
    address: text('address').notNull().default(''),
    revokedAt: integer('revoked_at'),
  },
  (t) => [uniqueIndex('sessions_token').on(t.tokenHash), index('sessions_user').on(t.userId)],
);

/**
 * Namespaces: every user owns the one of their name; an organisation is a namespace with members.
 * Names are unique across both, so `<namespace>/<app>` is never ambiguous.
 */
export const namespaces = sqliteTable(
  'namespaces',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    name: text('name').notNull(),
    kind: text('kind', { enum: ['user', 'org'] }).notNull(),
    displayName: text('display_name').notNull().default(''),
    /** An organisation's profile on its publisher page (a user's is in `users`). */
    about: text('about').notNull().default(''),
    website: text('website').notNull().default(''),
    /** The organisation's logo (PNG or JPEG, at most 512 KiB) and its media type. */
    logo: blob('logo', { mode: 'buffer' }),
    logoType: text('logo_type'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [uniqueIndex('namespaces_name').on(t.name)],
);

export const namespaceMembers = sqliteTable(
  'namespace_members',
  {
    namespaceId: integer('namespace_id')
      .notNull()
      .references(() => namespaces.id, { onDelete: 'cascade' }),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id),
    role: text('role', { enum: ['owner', 'maintainer', 'member'] }).notNull(),
    /** Shown on the organisation's publisher page: each member decides for themselves. */
    public: integer('public', { mode: 'boolean' }).notNull().default(false),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.namespaceId, t.userId] }),
    index('namespace_members_user').on(t.userId),
  ],
);

/**
 * Invitations to an organisation: an owner adding a user makes one, and the user becomes a member
 * only by accepting it (or declines). One per user and organisation; inviting again changes it.
 */
export const orgInvitations = sqliteTable(
  'org_invitations',
  {
    namespaceId: integer('namespace_id')
      .notNull()
      .references(() => namespaces.id, { onDelete: 'cascade' }),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id),
    role: text('role', { enum: ['owner', 'maintainer', 'member'] }).notNull(),
    /** The name of the owner (or admin) who invited, as the audit trail names actors. */
    invitedBy: text('invited_by').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.namespaceId, t.userId] }),
    index('org_invitations_user').on(t.userId),
  ],
);

/** Who did what, on what, when, from where: one row per mutating action. */
export const audit = sqliteTable(
  'audit',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    at: integer('at').notNull(),
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    target: text('target').notNull().default(''),
    address: text('address').notNull().default(''),
    /** JSON object with action-specific facts (never a secret). */
    detail: text('detail').notNull().default('{}'),
  },
  (t) => [
    index('audit_at').on(t.at),
    index('audit_actor').on(t.actor, t.at),
    index('audit_action').on(t.action, t.at),
  ],
);

/**
 * Data migrations applied at start (server/db/data-migrations.ts): rewrites of stored content
 * that SQL cannot do, such as registry blobs. One row per migration, written when it completed.
 */
export const dataMigrations = sqliteTable('data_migrations', {
  name: text('name').primaryKey(),
  appliedAt: integer('applied_at').notNull(),
  /** JSON object: what it changed (counts, never a secret). */
  detail: text('detail').notNull().default('{}'),
});

/**
 * The keys that sign registry bearer tokens (server/auth/token-keys.ts), one row per purpose, so
 * every process of a store signs and verifies with the same key. A secret: never served, logged
 * or audited. Made once: the first process inserts, the others read what it inserted.
 */
export const tokenSigningKeys = sqliteTable('token_signing_keys', {
  name: text('name').primaryKey(),
  /** PKCS#8 PEM of the private key; the public key is derived from it. */
  privateKey: text('private_key').notNull(),
  createdAt: integer('created_at').notNull(),
});

/**
 * Fixed-window counters shared by the processes of a store (server/accounts/shared-rate-limit.ts):
 * one row per limiter (`scope`) and key (an address, a user name), its window starting at the
 * first event. Used on PostgreSQL only: one SQLite process counts in memory, as it did.
 */
export const rateLimitCounters = sqliteTable(
  'rate_limit_counters',
  {
    scope: text('scope').notNull(),
    key: text('key').notNull(),
    windowStart: integer('window_start').notNull(),
    count: integer('count').notNull(),
    /** Set once per window, by the first refusal (audited once across the processes). */
    flagged: integer('flagged', { mode: 'boolean' }).notNull().default(false),
  },
  (t) => [
    primaryKey({ columns: [t.scope, t.key] }),
    index('rate_limit_counters_window').on(t.windowStart),
  ],
);
