import { and, asc, eq, gt, isNull, min, or, sql } from 'drizzle-orm';
import { escapeLike } from '../db/like.js';
import type { PgDb } from '../db/store-database.js';
import { namespaces, sessions, users } from '../db/schema.pg.js';
import { insertUserNamespace } from './namespaces-pg.js';
import { isUniqueViolation, lockKey, type PgTx } from './pg-units.js';
import type { UserRepository } from './user-repository.js';

/** ILIKE: case-insensitive as SQLite's LIKE is, for the admin's search box. */
function userSearch(search: string | undefined) {
  if (!search) return undefined;
  const term = escapeLike(search);
  return or(
    sql`${users.name} ILIKE ${`%${term}%`} ESCAPE '\\'`,
    sql`${users.displayName} ILIKE ${`%${term}%`} ESCAPE '\\'`,
    sql`${users.phone} LIKE ${`%${term}`} ESCAPE '\\'`,
  );
}

export function pgUsers(db: PgDb): UserRepository {
  const taken = async (tx: PgTx | PgDb, name: string) =>
    (await tx.select({ id: namespaces.id }).from(namespaces).where(eq(namespaces.name, name)))
      .length > 0;
  const insert = async (tx: PgTx, values: Parameters<UserRepository['create']>[0]) => {
    const [user] = await tx.insert(users).values(values).returning();
    await insertUserNamespace(tx, values.name, user!.id, values.createdAt);
    return user!;
  };
  const one = async <T>(rows: Promise<T[]>) => (await rows)[0];
  return {
    byName: (name) => one(db.select().from(users).where(eq(users.name, name))),
    byId: (id) => one(db.select().from(users).where(eq(users.id, id))),
    byPhone: (phone) => one(db.select().from(users).where(eq(users.phone, phone))),
    nameTaken: (name) => taken(db, name),
    findOrCreate: async ({ name, ...rest }, generate) => {
      try {
        return await db.transaction(async (tx) => {
          // Two first logins of one phone at once: the second waits here, then finds the user.
          if (rest.phone) {
            await lockKey(tx, `users:phone:${rest.phone}`);
            const existing = await one(tx.select().from(users).where(eq(users.phone, rest.phone)));
            if (existing) return { user: existing, created: false };
          }
          if (name !== undefined && (await taken(tx, name))) return 'taken' as const;
          if (name === undefined)
            do name = generate();
            while (await taken(tx, name));
          return { user: await insert(tx, { ...rest, name }), created: true };
        });
      } catch (err) {
        // Another user took the name between the check and the insert.
        if (isUniqueViolation(err)) return 'taken';
        throw err;
      }
    },
    create: (user) => db.transaction((tx) => insert(tx, user)),
    update: async (userId, change) => {
      await db.update(users).set(change).where(eq(users.id, userId));
    },
    setAvatar: async (userId, avatar, avatarType) => {
      await db.update(users).set({ avatar, avatarType }).where(eq(users.id, userId));
    },
    setDisabled: (userId, disabled, now) =>
      db.transaction(async (tx) => {
        await tx.update(users).set({ disabled }).where(eq(users.id, userId));
        if (disabled)
          await tx
            .update(sessions)
            .set({ revokedAt: now })
            .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt)));
      }),
    setRole: async (userId, role) => {
      await db.update(users).set({ role }).where(eq(users.id, userId));
    },
    ensureRobot: async (name, displayName, createdAt) => {
      await db.insert(users).values({ name, displayName, createdAt }).onConflictDoNothing();
      return (await one(db.select().from(users).where(eq(users.name, name))))!;
    },
    firstCreatedAt: async () =>
      (await one(db.select({ at: min(users.createdAt) }).from(users)))?.at ?? undefined,
    list: (after, limit, search) =>
      db
        .select()
        .from(users)
        .where(
          and(after ? gt(sql`${users.name} COLLATE "C"`, after) : undefined, userSearch(search)),
        )
        .orderBy(asc(sql`${users.name} COLLATE "C"`))
        .limit(limit),
  };
}
