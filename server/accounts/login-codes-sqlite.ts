import { and, desc, eq, gt, isNull, sql } from 'drizzle-orm';
import type { SqliteDb } from '../db/store-database.js';
import { loginCodes } from '../db/schema.js';
import { DAY_MS, type LoginCodeRepository } from './login-code-repository.js';

/** Synchronous transactions: SQLite's single writer orders every issue and verify. */
export function sqliteLoginCodes(db: SqliteDb): LoginCodeRepository {
  return {
    issue: async (code, limit) =>
      db.transaction((tx) => {
        const latest = tx
          .select({ createdAt: loginCodes.createdAt })
          .from(loginCodes)
          .where(eq(loginCodes.phone, code.phone))
          .orderBy(desc(loginCodes.createdAt))
          .limit(1)
          .get();
        const today = tx
          .select({ n: sql<number>`count(*)` })
          .from(loginCodes)
          .where(
            and(
              eq(loginCodes.phone, code.phone),
              gt(loginCodes.createdAt, code.createdAt - DAY_MS),
            ),
          )
          .get();
        const wait = limit(latest?.createdAt, today?.n ?? 0);
        if (wait !== undefined) return { ok: false, retryAfterSeconds: wait } as const;
        tx.update(loginCodes)
          .set({ consumedAt: code.createdAt })
          .where(and(eq(loginCodes.phone, code.phone), isNull(loginCodes.consumedAt)))
          .run();
        const row = tx.insert(loginCodes).values(code).returning({ id: loginCodes.id }).get();
        return { ok: true, id: row.id } as const;
      }),

    withdraw: async (id) => {
      db.delete(loginCodes).where(eq(loginCodes.id, id)).run();
    },

    verify: async (phone, now, matches, maxAttempts) =>
      db.transaction((tx) => {
        const live = tx
          .select()
          .from(loginCodes)
          .where(and(eq(loginCodes.phone, phone), isNull(loginCodes.consumedAt)))
          .orderBy(desc(loginCodes.createdAt))
          .limit(1)
          .get();
        if (!live || live.expiresAt <= now) return live ? 'expired' : 'wrong';
        if (matches(live.codeHash)) {
          tx.update(loginCodes).set({ consumedAt: now }).where(eq(loginCodes.id, live.id)).run();
          return 'ok';
        }
        const attempts = live.attempts + 1;
        tx.update(loginCodes)
          .set({ attempts, ...(attempts >= maxAttempts ? { consumedAt: now } : {}) })
          .where(eq(loginCodes.id, live.id))
          .run();
        return 'wrong';
      }),
  };
}
