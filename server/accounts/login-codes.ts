import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import { and, desc, eq, gt, isNull, sql } from 'drizzle-orm';
import type { Db } from '../db/open-database.js';
import { loginCodes } from '../db/schema.js';

export const CODE_TTL_MS = 10 * 60_000;
export const MAX_ATTEMPTS = 5;
/** One code per phone per minute, and at most this many per phone per day. */
export const RESEND_INTERVAL_MS = 60_000;
export const CODES_PER_PHONE_PER_DAY = 10;

export type IssueResult =
  { ok: true; code: string; id: number } | { ok: false; retryAfterSeconds: number };
export type VerifyResult = 'ok' | 'wrong' | 'expired';

/**
 * Six-digit login codes. A code has only 10^6 values, so a plain hash in the database could be
 * reversed by trying them all: the stored value is an HMAC under a secret kept outside the
 * database (the pepper in the data folder's keys).
 */
export class LoginCodes {
  constructor(
    private readonly db: Db,
    private readonly pepper: Buffer,
    private readonly clock: () => number = Date.now,
  ) {}

  /** A fresh code for `phone` (E.164), replacing any live one; refused while the phone is limited. */
  issue(phone: string, address: string): IssueResult {
    const now = this.clock();
    return this.db.transaction((tx) => {
      const latest = tx
        .select()
        .from(loginCodes)
        .where(eq(loginCodes.phone, phone))
        .orderBy(desc(loginCodes.createdAt))
        .limit(1)
        .get();
      if (latest && now - latest.createdAt < RESEND_INTERVAL_MS) {
        return {
          ok: false,
          retryAfterSeconds: Math.ceil((latest.createdAt + RESEND_INTERVAL_MS - now) / 1000),
        } as const;
      }
      const today = tx
        .select({ n: sql<number>`count(*)` })
        .from(loginCodes)
        .where(and(eq(loginCodes.phone, phone), gt(loginCodes.createdAt, now - 86_400_000)))
        .get();
      if ((today?.n ?? 0) >= CODES_PER_PHONE_PER_DAY)
        return { ok: false, retryAfterSeconds: 3600 } as const;
      tx.update(loginCodes)
        .set({ consumedAt: now })
        .where(and(eq(loginCodes.phone, phone), isNull(loginCodes.consumedAt)))
        .run();
      const code = randomInt(0, 1_000_000).toString().padStart(6, '0');
      const row = tx
        .insert(loginCodes)
        .values({
          phone,
          codeHash: this.hash(phone, code),
          createdAt: now,
          expiresAt: now + CODE_TTL_MS,
          address,
        })
        .returning({ id: loginCodes.id })
        .get();
      return { ok: true, code, id: row.id } as const;
    });
  }

  /** Withdraws a code that could not be delivered, so the user may ask again at once. */
  withdraw(id: number): void {
    this.db.delete(loginCodes).where(eq(loginCodes.id, id)).run();
  }

  /**
   * Checks `code` against the phone's live code and consumes it on success. A wrong code counts
   * an attempt; the fifth wrong one burns the code.
   */
  verify(phone: string, code: string): VerifyResult {
    const now = this.clock();
    return this.db.transaction((tx) => {
      const live = tx
        .select()
        .from(loginCodes)
        .where(and(eq(loginCodes.phone, phone), isNull(loginCodes.consumedAt)))
        .orderBy(desc(loginCodes.createdAt))
        .limit(1)
        .get();
      if (!live || live.expiresAt <= now) return live ? 'expired' : 'wrong';
      const matches =
        /^\d{6}$/.test(code) &&
        timingSafeEqual(
          Buffer.from(live.codeHash, 'hex'),
          Buffer.from(this.hash(phone, code), 'hex'),
        );
      if (matches) {
        tx.update(loginCodes).set({ consumedAt: now }).where(eq(loginCodes.id, live.id)).run();
        return 'ok';
      }
      const attempts = live.attempts + 1;
      tx.update(loginCodes)
        .set({ attempts, ...(attempts >= MAX_ATTEMPTS ? { consumedAt: now } : {}) })
        .where(eq(loginCodes.id, live.id))
        .run();
      return 'wrong';
    });
  }

  private hash(phone: string, code: string): string {
    return createHmac('sha256', this.pepper).update(`${phone}:${code}`).digest('hex');
  }
}
