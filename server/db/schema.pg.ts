/**
 * The store's account tables in the PostgreSQL dialect: the same tables, columns, keys and
 * indexes as schema.ts (the SQLite dialect, which documents each column), checked by
 * test/db/schema-parity.test.ts. Change both together and run `npm run db:generate`.
 *
 * Types: SQLite's `integer primary key autoincrement` is an identity column "by default", so a
 * copy from SQLite (`appshelf migrate`) can keep the ids; times are milliseconds since the epoch
 * in `bigint` read as a JS number; the boolean-mode integers are `boolean` (drizzle hands both as
 * booleans); bytes are `bytea`; enums and JSON stay `text`, as in SQLite (no CHECK on either).
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
import { bytea, id, millis } from '../../registry/metadata/pg-types.js';

export const users = pgTable(
  'users',
  {
    id: id(),
    name: text('name').notNull(),
    phone: text('phone'),
    displayName: text('display_name').notNull().default(''),
    role: text('role', { enum: ['admin', 'user'] })
      .notNull()
      .default('user'),
    disabled: boolean('disabled').notNull().default(false),
    bio: text('bio').notNull().default(''),
    website: text('website').notNull().default(''),
    avatar: bytea('avatar'),
    avatarType: text('avatar_type'),
    createdAt: millis('created_at').notNull(),
  },
  (t) => [uniqueIndex('users_name').on(t.name), uniqueIndex('users_phone').on(t.phone)],
);

export const accessKeys = pgTable(
  'access_keys',
  {
    id: id(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id),
    name: text('name').notNull(),
    prefix: text('prefix').notNull(),
    secretHash: text('secret_hash').notNull(),
    scopes: text('scopes').notNull(),
    createdAt: millis('created_at').notNull(),
    lastUsedAt: millis('last_used_at'),
    expiresAt: millis('expires_at'),
    revokedAt: millis('revoked_at'),
  },
  (t) => [index('access_keys_prefix').on(t.prefix), index('access_keys_user').on(t.userId)],
);

export const loginCodes = pgTable(
  'login_codes',
  {
    id: id(),
    phone: text('phone').notNull(),
    codeHash: text('code_hash').notNull(),
    createdAt: millis('created_at').notNull(),
    expiresAt: millis('expires_at').notNull(),
    attempts: integer('attempts').notNull().default(0),
    consumedAt: millis('consumed_at'),
    address: text('address').notNull().default(''),
  },
  (t) => [index('login_codes_phone').on(t.phone, t.createdAt)],
);

export const sessions = pgTable(
  'sessions',
  {
    id: id(),
    tokenHash: text('token_hash').notNull(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id),
    createdAt: millis('created_at').notNull(),
    expiresAt: millis('expires_at').notNull(),
    lastSeenAt: millis('last_seen_at').notNull(),
    address: text('address').notNull().default(''),
    revokedAt: millis('revoked_at'),
  },
  (t) => [uniqueIndex('sessions_token').on(t.tokenHash), index('sessions_user').on(t.userId)],
);

export const namespaces = pgTable(
  'namespaces',
  {
    id: id(),
    name: text('name').notNull(),
    kind: text('kind', { enum: ['user', 'org'] }).notNull(),
    displayName: text('display_name').notNull().default(''),
    /** An organisation's profile on its publisher page (a user's is in `users`). */
    about: text('about').notNull().default(''),
    website: text('website').notNull().default(''),
    /** The organisation's logo (PNG or JPEG, at most 512 KiB) and its media type. */
    logo: bytea('logo'),
    logoType: text('logo_type'),
    createdAt: millis('created_at').notNull(),
  },
  (t) => [uniqueIndex('namespaces_name').on(t.name)],
);

export const namespaceMembers = pgTable(
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
    public: boolean('public').notNull().default(false),
    createdAt: millis('created_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.namespaceId, t.userId] }),
    index('namespace_members_user').on(t.userId),
  ],
);

export const orgInvitations = pgTable(
  'org_invitations',
  {
    namespaceId: integer('namespace_id')
      .notNull()
      .references(() => namespaces.id, { onDelete: 'cascade' }),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id),
    role: text('role', { enum: ['owner', 'maintainer', 'member'] }).notNull(),
    invitedBy: text('invited_by').notNull(),
    createdAt: millis('created_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.namespaceId, t.userId] }),
    index('org_invitations_user').on(t.userId),
  ],
);

export const audit = pgTable(
  'audit',
  {
    // bigint: one row per mutating action, for the store's whole life.
    id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
    at: millis('at').notNull(),
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    target: text('target').notNull().default(''),
    address: text('address').notNull().default(''),
    detail: text('detail').notNull().default('{}'),
  },
  (t) => [
    index('audit_at').on(t.at),
    index('audit_actor').on(t.actor, t.at),
    index('audit_action').on(t.action, t.at),
  ],
);

export const dataMigrations = pgTable('data_migrations', {
  name: text('name').primaryKey(),
  appliedAt: millis('applied_at').notNull(),
  detail: text('detail').notNull().default('{}'),
});

export const tokenSigningKeys = pgTable('token_signing_keys', {
  name: text('name').primaryKey(),
  privateKey: text('private_key').notNull(),
  createdAt: millis('created_at').notNull(),
});

export const rateLimitCounters = pgTable(
  'rate_limit_counters',
  {
    scope: text('scope').notNull(),
    key: text('key').notNull(),
    windowStart: millis('window_start').notNull(),
    count: integer('count').notNull(),
    flagged: boolean('flagged').notNull().default(false),
  },
  (t) => [
    primaryKey({ columns: [t.scope, t.key] }),
    index('rate_limit_counters_window').on(t.windowStart),
  ],
);
