import type Database from 'better-sqlite3';
import type { MemberRole } from '../accounts/namespaces.js';
import type { StoreDatabase } from '../db/store-database.js';
import { pgAccessDirectory } from './access-directory-pg.js';
import { credentialRows, type KeyRow } from './credential-rows.js';

export type { KeyRow } from './credential-rows.js';

export type MaybePromise<T> = T | Promise<T>;

/**
 * The facts the permission module decides on, read fresh on every decision so that a disabled
 * user, a revoked key or a changed membership counts at once. Each is one index lookup: on SQLite
 * a prepared statement answered synchronously (a few microseconds, no microtask on the registry's
 * request path), on PostgreSQL a query's promise. Callers await only what is a promise. On
 * SQLite a key's and user's state is kept until a row of theirs changes (credential-rows.ts).
 */
export interface AccessDirectory {
  roleOf(userId: number, namespace: string): MaybePromise<MemberRole | undefined>;
  /** Whether `<namespace>/<app>` is an app and listed; undefined when there is no such app. */
  appListed(namespace: string, app: string): MaybePromise<boolean | undefined>;
  /** The mirror upstream `<namespace>/<app>` is copied from (it is read-only here), if any. */
  appMirror(namespace: string, app: string): MaybePromise<string | undefined>;
  /** The app with Rainstore `appKeyID` `appKey` (a robot's app). */
  appOfKey(appKey: string): MaybePromise<{ namespace: string; name: string } | undefined>;
  /** User `name`, as the permission module needs them to decide for an actor known by name. */
  userNamed(name: string): MaybePromise<NamedUser | undefined>;
  /** The key (when given) is neither revoked nor expired, and its user is not disabled. */
  credentialsActive(userId: number, keyId: number | undefined, now: number): MaybePromise<boolean>;
  /** Pull credential `id` of key `keyId` (of user `userId`) is unexpired, and so is that key. */
  pullCredentialActive(
    id: number,
    keyId: number,
    userId: number,
    now: number,
  ): MaybePromise<boolean>;
}

export interface NamedUser {
  id: number;
  name: string;
  role: 'admin' | 'user';
}

/**
 * SQLite's directory: every answer synchronous. `Permissions` takes either directory; the
 * registry's synchronous guards (governance/immutability.ts) need this one.
 */
export type SyncAccessDirectory = {
  [K in keyof AccessDirectory]: (
    ...args: Parameters<AccessDirectory[K]>
  ) => Awaited<ReturnType<AccessDirectory[K]>>;
};

export function sqlAccessDirectory(sqlite: Database.Database): SyncAccessDirectory {
  const role = sqlite.prepare<[number, string], { role: MemberRole }>(
    `select m.role from namespace_members m join namespaces n on n.id = m.namespace_id where m.user_id = ? and n.name = ?`,
  );
  const listed = sqlite.prepare<[string, string], { listed: number }>(
    `select listed from apps where namespace = ? and name = ?`,
  );
  const mirror = sqlite.prepare<[string, string], { mirror_upstream: string | null }>(
    `select mirror_upstream from apps where namespace = ? and name = ?`,
  );
  const byKey = sqlite.prepare<[string], { namespace: string; name: string }>(
    `select namespace, name from apps where app_key = ?`,
  );
  const named = sqlite.prepare<[string], { id: number; name: string; role: 'admin' | 'user' }>(
    `select id, name, role from users where name = ?`,
  );
  const credentials = credentialRows(sqlite);
  const pull = sqlite.prepare<[number, number, number], { expires_at: number } & KeyRow>(
    `select c.expires_at, u.disabled, k.revoked_at, k.expires_at as key_expires_at from pull_credentials c join access_keys k on k.id = c.access_key_id join users u on u.id = k.user_id where c.id = ? and k.id = ? and k.user_id = ?`,
  );
  return {
    roleOf: (userId, namespace) => role.get(userId, namespace)?.role,
    appListed(namespace, app) {
      const row = listed.get(namespace, app);
      return row ? row.listed === 1 : undefined;
    },
    appMirror: (namespace, app) => mirror.get(namespace, app)?.mirror_upstream ?? undefined,
    appOfKey: (appKey) => byKey.get(appKey),
    userNamed: (name) => named.get(name),
    credentialsActive(userId, keyId, now) {
      if (keyId === undefined) return credentials.userDisabled(userId) === 0;
      return keyAlive(credentials.key(keyId, userId), now);
    },
    pullCredentialActive(id, keyId, userId, now) {
      const row = pull.get(id, keyId, userId);
      return !!row && row.expires_at > now && keyAlive(row, now);
    },
  };
}

export function keyAlive(row: KeyRow | undefined, now: number): boolean {
  return (
    !!row &&
    row.disabled === 0 &&
    row.revoked_at === null &&
    (row.key_expires_at === null || row.key_expires_at > now)
  );
}

/**
 * The store's directory: SQLite's synchronous one, or PostgreSQL's (whose answers are promises;
 * `Permissions` awaits only those, so SQLite's decisions stay synchronous).
 */
export function accessDirectory(store: StoreDatabase): AccessDirectory {
  return store.dialect === 'sqlite'
    ? sqlAccessDirectory(store.sqlite)
    : pgAccessDirectory(store.db);
}
