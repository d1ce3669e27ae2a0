import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import type { PgDb } from '../db/store-database.js';
import { accessKeys, users } from '../db/schema.pg.js';
import type { AccessKeyRepository } from './access-key-repository.js';

export function pgAccessKeys(db: PgDb): AccessKeyRepository {
  return {
    create: (key, maxLive) =>
      db.transaction(async (tx) => {
        if (maxLive !== undefined) {
          // The user's row orders their key creations, so concurrent ones cannot pass the cap.
          await tx
            .select({ id: users.id })
            .from(users)
            .where(eq(users.id, key.userId))
            .for('update');
          const [live] = await tx
            .select({ n: sql<number>`count(*)::int` })
            .from(accessKeys)
            .where(and(eq(accessKeys.userId, key.userId), isNull(accessKeys.revokedAt)));
          if ((live?.n ?? 0) >= maxLive) return undefined;
        }
        const [row] = await tx.insert(accessKeys).values(key).returning({ id: accessKeys.id });
        return row!.id;
      }),
    byPrefix: (prefix) =>
      db
        .select({ key: accessKeys, user: users })
        .from(accessKeys)
        .innerJoin(users, eq(users.id, accessKeys.userId))
        .where(and(eq(accessKeys.prefix, prefix), isNull(accessKeys.revokedAt))),
    ownerNameByPrefix: async (prefix) => {
      const [row] = await db
        .select({ name: users.name })
        .from(accessKeys)
        .innerJoin(users, eq(users.id, accessKeys.userId))
        .where(eq(accessKeys.prefix, prefix))
        .limit(1);
      return row?.name;
    },
    touchLastUsed: async (id, at) => {
      await db.update(accessKeys).set({ lastUsedAt: at }).where(eq(accessKeys.id, id));
    },
    setSecret: async (id, prefix, secretHash) => {
      await db.update(accessKeys).set({ prefix, secretHash }).where(eq(accessKeys.id, id));
    },
    list: (userId) =>
      db
        .select()
        .from(accessKeys)
        .where(and(eq(accessKeys.userId, userId), isNull(accessKeys.revokedAt)))
        .orderBy(asc(accessKeys.id)),
    liveNamed: async (userId, name) => {
      const [row] = await db
        .select()
        .from(accessKeys)
        .where(
          and(
            eq(accessKeys.userId, userId),
            eq(accessKeys.name, name),
            isNull(accessKeys.revokedAt),
          ),
        )
        .limit(1);
      return row;
    },
    get: async (id) => {
      const [row] = await db.select().from(accessKeys).where(eq(accessKeys.id, id));
      return row;
    },
    revoke: async (id, at) => {
      const revoked = await db
        .update(accessKeys)
        .set({ revokedAt: at })
        .where(and(eq(accessKeys.id, id), isNull(accessKeys.revokedAt)))
        .returning({ id: accessKeys.id });
      return revoked.length > 0;
    },
  };
}
