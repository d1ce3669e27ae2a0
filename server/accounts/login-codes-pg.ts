import { and, desc, eq, gt, isNull, sql } from 'drizzle-orm';
import type { PgDb } from '../db/store-database.js';
import { loginCodes } from '../db/schema.pg.js';
import { DAY_MS, type LoginCodeRepository } from './login-code-repository.js';
import { lockKey } from './pg-units.js';

/**
 * Issue locks the phone (its codes may not exist yet, so no row lock can), so two requests cannot
 * both pass the resend interval or the daily count; verify locks the live code row, so of two
 * concurrent verifies of one code the second sees it consumed and fails.
 */
export function pgLoginCodes(db: PgDb): LoginCodeRepository {
  return {
    issue: (code, limit) =>
      db.transaction(async (tx) => {
        await lockKey(tx, `login-codes:${code.phone}`);
        const [latest] = await tx
          .select({ createdAt: loginCodes.createdAt })
          .from(loginCodes)
          .where(eq(loginCodes.phone, code.phone))
          .orderBy(desc(loginCodes.createdAt))
          .limit(1);
        const [today] = await tx
          .select({ n: sql<number>`count(*)::int` })
          .from(loginCodes)
          .where(
            and(
              eq(loginCodes.phone, code.phone),
              gt(loginCodes.createdAt, code.createdAt - DAY_MS),
            ),
          );
        const wait = limit(latest?.createdAt, today?.n ?? 0);
        if (wait !== undefined) return { ok: false, retryAfterSeconds: wait } as const;
        await tx
          .update(loginCodes)
          .set({ consumedAt: code.createdAt })
          .where(and(eq(loginCodes.phone, code.phone), isNull(loginCodes.consumedAt)));
        const [row] = await tx.insert(loginCodes).values(code).returning({ id: loginCodes.id });
        return { ok: true, id: row!.id } as const;
      }),

    withdraw: async (id) => {
      await db.delete(loginCodes).where(eq(loginCodes.id, id));
    },

    verify: (phone, now, matches, maxAttempts) =>
      db.transaction(async (tx) => {
        // A concurrent verify that consumed the row first makes PostgreSQL re-check the WHERE on
        // the committed row: it no longer matches, and this one finds no live code.
        const [live] = await tx
          .select()
          .from(loginCodes)
          .where(and(eq(loginCodes.phone, phone), isNull(loginCodes.consumedAt)))
          .orderBy(desc(loginCodes.createdAt))
          .limit(1)
          .for('update');
        if (!live || live.expiresAt <= now) return live ? 'expired' : 'wrong';
        if (matches(live.codeHash)) {
          await tx.update(loginCodes).set({ consumedAt: now }).where(eq(loginCodes.id, live.id));
          return 'ok';
        }
        const attempts = live.attempts + 1;
        await tx
          .update(loginCodes)
          .set({ attempts, ...(attempts >= maxAttempts ? { consumedAt: now } : {}) })
          .where(eq(loginCodes.id, live.id));
        return 'wrong';
      }),
  };
}
