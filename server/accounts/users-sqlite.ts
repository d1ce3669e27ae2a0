import { and, asc, eq, gt, isNull, min, or, sql } from 'drizzle-orm';
import { escapeLike } from '../db/like.js';
import type { SqliteDb } from '../db/store-database.js';
import { namespaces, sessions, users } from '../db/schema.js';
import { insertUserNamespace, type SqliteTx } from './namespaces-sqlite.js';
import type { UserRepository } from './user-repository.js';

/** SQLite's LIKE ignores ASCII case, as the admin's search box expects. */
function userSearch(search: string | undefined) {
  if (!search) return undefined;
  const term = escapeLike(search);
  return or(
    sql`${users.name} LIKE ${`%${term}%`} ESCAPE '\\'`,
    sql`${users.displayName} LIKE ${`%${term}%`} ESCAPE '\\'`,
    sql`${users.phone} LIKE ${`%${term}`} ESCAPE '\\'`,
  );
}

export function sqliteUsers(db: SqliteDb): UserRepository {
  const taken = (tx: SqliteTx | SqliteDb, name: string) =>
    !!tx.select({ id: namespaces.id }).from(namespaces).where(eq(namespaces.name, name)).get();
  const insert = (tx: SqliteTx, values: Parameters<UserRepository['create']>[0]) => {
    const user = tx.insert(users).values(values).returning().get();
    insertUserNamespace(tx, values.name, user.id, values.createdAt);
    return user;
  };
  return {
    byName: async (name) => db.select().from(users).where(eq(users.name, name)).get(),
    byId: async (id) => db.select().from(users).where(eq(users.id, id)).get(),
    byPhone: async (phone) => db.select().from(users).where(eq(users.phone, phone)).get(),
    nameTaken: async (name) => taken(db, name),
    findOrCreate: async ({ name, ...rest }, generate) =>
      db.transaction((tx) => {
        if (rest.phone) {
          const existing = tx.select().from(users).where(eq(users.phone, rest.phone)).get();
          if (existing) return { user: existing, created: false };
        }
        if (name !== undefined && taken(tx, name)) return 'taken' as const;
        if (name === undefined)
          do name = generate();
          while (taken(tx, name));
        return { user: insert(tx, { ...rest, name }), created: true };
      }),
    create: async (user) => db.transaction((tx) => insert(tx, user)),
    update: async (userId, change) => {
      db.update(users).set(change).where(eq(users.id, userId)).run();
    },
    setAvatar: async (userId, avatar, avatarType) => {
      db.update(users).set({ avatar, avatarType }).where(eq(users.id, userId)).run();
    },
    setDisabled: async (userId, disabled, now) => {
      db.transaction((tx) => {
        tx.update(users).set({ disabled }).where(eq(users.id, userId)).run();
        if (disabled)
          tx.update(sessions)
            .set({ revokedAt: now })
            .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt)))
            .run();
      });
    },
    setRole: async (userId, role) => {
      db.update(users).set({ role }).where(eq(users.id, userId)).run();
    },
    ensureRobot: async (name, displayName, createdAt) => {
      db.insert(users).values({ name, displayName, createdAt }).onConflictDoNothing().run();
      return db.select().from(users).where(eq(users.name, name)).get()!;
    },
    firstCreatedAt: async () =>
      db
        .select({ at: min(users.createdAt) })
        .from(users)
        .get()?.at ?? undefined,
    list: async (after, limit, search) =>
      db
        .select()
        .from(users)
        .where(and(after ? gt(users.name, after) : undefined, userSearch(search)))
        .orderBy(asc(users.name))
        .limit(limit)
        .all(),
  };
}
