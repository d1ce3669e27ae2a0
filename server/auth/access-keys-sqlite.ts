import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import type { SqliteDb } from '../db/store-database.js';
import { accessKeys, users } from '../db/schema.js';
import type { AccessKeyRepository } from './access-key-repository.js';

export function sqliteAccessKeys(db: SqliteDb): AccessKeyRepository {
  return {
    create: async (key, maxLive) =>
      db.transaction((tx) => {
        if (maxLive !== undefined) {
          const live = tx
            .select({ n: sql<number>`count(*)` })
            .from(accessKeys)
            .where(and(eq(accessKeys.userId, key.userId), isNull(accessKeys.revokedAt)))
            .get();
          if ((live?.n ?? 0) >= maxLive) return undefined;
        }
        return tx.insert(accessKeys).values(key).returning({ id: accessKeys.id }).get().id;
      }),
    byPrefix: async (prefix) =>
      db
        .select({ key: accessKeys, user: users })
        .from(accessKeys)
        .innerJoin(users, eq(users.id, accessKeys.userId))
        .where(and(eq(accessKeys.prefix, prefix), isNull(accessKeys.revokedAt)))
        .all(),
    ownerNameByPrefix: async (prefix) =>
      db
        .select({ name: users.name })
        .from(accessKeys)
        .innerJoin(users, eq(users.id, accessKeys.userId))
        .where(eq(accessKeys.prefix, prefix))
        .get()?.name,
    touchLastUsed: async (id, at) => {
      db.update(accessKeys).set({ lastUsedAt: at }).where(eq(accessKeys.id, id)).run();
    },
    setSecret: async (id, prefix, secretHash) => {
      db.update(accessKeys).set({ prefix, secretHash }).where(eq(accessKeys.id, id)).run();
    },
    list: async (userId) =>
      db
        .select()
        .from(accessKeys)
        .where(and(eq(accessKeys.userId, userId), isNull(accessKeys.revokedAt)))
        .orderBy(asc(accessKeys.id))
        .all(),
    liveNamed: async (userId, name) =>
      db
        .select()
        .from(accessKeys)
        .where(
          and(
            eq(accessKeys.userId, userId),
            eq(accessKeys.name, name),
            isNull(accessKeys.revokedAt),
          ),
        )
        .get(),
    get: async (id) => db.select().from(accessKeys).where(eq(accessKeys.id, id)).get(),
    revoke: async (id, at) =>
      db
        .update(accessKeys)
        .set({ revokedAt: at })
        .where(and(eq(accessKeys.id, id), isNull(accessKeys.revokedAt)))
        .run().changes > 0,
  };
}
