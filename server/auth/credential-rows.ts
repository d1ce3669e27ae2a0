/**
 * What decides whether a key still works (its user's `disabled`, its `revoked_at` and
 * `expires_at`), kept in memory on SQLite until a row it came from changes.
 *
 * Every registry request asks this once (permissions.ts `active`); it was the costliest statement
 * on the manifest read paths (a join in its own read transaction, ~2 µs on a WAL database, 18% of
 * the store's CPU on manifest GET in the bench profile). Revocation must still count on the very
 * next request, so the cache is not timed: TEMP triggers on this connection call back into the
 * process on any insert, update or delete of `users` or `access_keys`, whichever code path or
 * statement made it, and the callback drops every cached row. A TEMP trigger belongs to the
 * connection that made it and is never written into the database file, so other tools opening
 * the file (migrations, the search worker, backups) see no trigger and need no function.
 *
 * A SQLite store has one writing connection, this process's (several processes need PostgreSQL),
 * so no write can reach the tables without passing the triggers. Expiry is compared at check time,
 * so a cached row never outlives its key's `expires_at`.
 */
import type Database from 'better-sqlite3';

export interface KeyRow {
  disabled: number;
  revoked_at: number | null;
  key_expires_at: number | null;
}

export interface CredentialRows {
  /** User `userId`'s `disabled`, undefined when there is no such user. */
  userDisabled(userId: number): number | undefined;
  /** Key `keyId` of user `userId` with its user's state, undefined when there is no such key. */
  key(keyId: number, userId: number): KeyRow | undefined;
}

/** Beyond this many cached answers the cache starts again (a guard against id scans). */
const MAX_ENTRIES = 10_000;
const CHANGED = 'appshelf_credentials_changed';
const WATCHED = ['users', 'access_keys'] as const;

const opened = new WeakMap<Database.Database, CredentialRows>();

/** The connection's one cache (its triggers and callback are made once per connection). */
export function credentialRows(sqlite: Database.Database): CredentialRows {
  let rows = opened.get(sqlite);
  if (!rows) {
    rows = watchedRows(sqlite);
    opened.set(sqlite, rows);
  }
  return rows;
}

function watchedRows(sqlite: Database.Database): CredentialRows {
  const user = sqlite.prepare<[number], { disabled: number }>(
    `select disabled from users where id = ?`,
  );
  const key = sqlite.prepare<[number, number], KeyRow>(
    `select u.disabled, k.revoked_at, k.expires_at as key_expires_at from access_keys k join users u on u.id = k.user_id where k.id = ? and k.user_id = ?`,
  );
  // Misses are kept too (a null): a key id that does not exist is asked as often as one that does.
  const users = new Map<number, number | null>();
  const keys = new Map<string, KeyRow | null>();
  const forget = (): void => {
    users.clear();
    keys.clear();
  };
  sqlite.function(CHANGED, { deterministic: false }, () => {
    forget();
    return null;
  });
  for (const table of WATCHED) {
    for (const event of ['INSERT', 'UPDATE', 'DELETE']) {
      sqlite.exec(
        `CREATE TEMP TRIGGER IF NOT EXISTS ${CHANGED}_${table}_${event.toLowerCase()} AFTER ${event} ON main.${table} BEGIN SELECT ${CHANGED}(); END`,
      );
    }
  }
  return {
    userDisabled(userId) {
      let disabled = users.get(userId);
      if (disabled === undefined) {
        if (users.size >= MAX_ENTRIES) users.clear();
        disabled = user.get(userId)?.disabled ?? null;
        users.set(userId, disabled);
      }
      return disabled ?? undefined;
    },
    key(keyId, userId) {
      const id = `${keyId}:${userId}`;
      let row = keys.get(id);
      if (row === undefined) {
        if (keys.size >= MAX_ENTRIES) keys.clear();
        row = key.get(keyId, userId) ?? null;
        keys.set(id, row);
      }
      return row ?? undefined;
    },
  };
}
