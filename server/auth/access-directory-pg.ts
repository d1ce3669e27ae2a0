import { and, eq } from 'drizzle-orm';
import type { PgDb } from '../db/store-database.js';
import { accessKeys, namespaceMembers, namespaces, users } from '../db/schema.pg.js';
import { apps, pullCredentials } from '../db/store-schema.pg.js';
import type { AccessDirectory } from './access-directory.js';

interface KeyFacts {
  disabled: boolean;
  revokedAt: number | null;
  keyExpiresAt: number | null;
}

const alive = (row: KeyFacts | undefined, now: number): boolean =>
  !!row &&
  !row.disabled &&
  row.revokedAt === null &&
  (row.keyExpiresAt === null || row.keyExpiresAt > now);

/** The same lookups as SQLite's directory, each one query on the pool (every answer a promise). */
export function pgAccessDirectory(db: PgDb): AccessDirectory {
  const app = async (namespace: string, name: string) =>
    (
      await db
        .select({ listed: apps.listed, mirrorUpstream: apps.mirrorUpstream })
        .from(apps)
        .where(and(eq(apps.namespace, namespace), eq(apps.name, name)))
    )[0];
  const keyFacts = {
    disabled: users.disabled,
    revokedAt: accessKeys.revokedAt,
    keyExpiresAt: accessKeys.expiresAt,
  };
  return {
    roleOf: async (userId, namespace) =>
      (
        await db
          .select({ role: namespaceMembers.role })
          .from(namespaceMembers)
          .innerJoin(namespaces, eq(namespaces.id, namespaceMembers.namespaceId))
          .where(and(eq(namespaceMembers.userId, userId), eq(namespaces.name, namespace)))
      )[0]?.role,
    appListed: async (namespace, name) => (await app(namespace, name))?.listed,
    appMirror: async (namespace, name) => (await app(namespace, name))?.mirrorUpstream ?? undefined,
    appOfKey: async (appKey) =>
      (
        await db
          .select({ namespace: apps.namespace, name: apps.name })
          .from(apps)
          .where(eq(apps.appKey, appKey))
      )[0],
    userNamed: async (name) =>
      (
        await db
          .select({ id: users.id, name: users.name, role: users.role })
          .from(users)
          .where(eq(users.name, name))
      )[0],
    credentialsActive: async (userId, keyId, now) => {
      if (keyId === undefined) {
        const [user] = await db
          .select({ disabled: users.disabled })
          .from(users)
          .where(eq(users.id, userId));
        return user?.disabled === false;
      }
      const [row] = await db
        .select(keyFacts)
        .from(accessKeys)
        .innerJoin(users, eq(users.id, accessKeys.userId))
        .where(and(eq(accessKeys.id, keyId), eq(accessKeys.userId, userId)));
      return alive(row, now);
    },
    pullCredentialActive: async (id, keyId, userId, now) => {
      const [row] = await db
        .select({ ...keyFacts, expiresAt: pullCredentials.expiresAt })
        .from(pullCredentials)
        .innerJoin(accessKeys, eq(accessKeys.id, pullCredentials.accessKeyId))
        .innerJoin(users, eq(users.id, accessKeys.userId))
        .where(
          and(eq(pullCredentials.id, id), eq(accessKeys.id, keyId), eq(accessKeys.userId, userId)),
        );
      return !!row && row.expiresAt > now && alive(row, now);
    },
  };
}
