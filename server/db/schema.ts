/**
 * The store's tables. The registry's own tables live in registry/metadata/schema.ts; both are in
 * one SQLite file and one migration history (drizzle.config.ts lists both schema files).
 */
import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

export const users = sqliteTable(
  'users',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    name: text('name').notNull(),
    phone: text('phone'),
    displayName: text('display_name').notNull().default(''),
    role: text('role', { enum: ['admin', 'user'] }).notNull().default('user'),
    disabled: integer('disabled', { mode: 'boolean' }).notNull().default(false),
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
