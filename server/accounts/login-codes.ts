import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import type { LoginCodeRepository } from './login-code-repository.js';

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
    private readonly repository: LoginCodeRepository,
    private readonly pepper: Buffer,
    private readonly clock: () => number = Date.now,
  ) {}

  /** A fresh code for `phone` (E.164), replacing any live one; refused while the phone is limited. */
  async issue(phone: string, address: string): Promise<IssueResult> {
    const now = this.clock();
    const code = randomInt(0, 1_000_000).toString().padStart(6, '0');
    const issued = await this.repository.issue(
      {
        phone,
        codeHash: this.hash(phone, code),
        createdAt: now,
        expiresAt: now + CODE_TTL_MS,
        address,
      },
      (latest, today) => {
        if (latest !== undefined && now - latest < RESEND_INTERVAL_MS)
          return Math.ceil((latest + RESEND_INTERVAL_MS - now) / 1000);
        return today >= CODES_PER_PHONE_PER_DAY ? 3600 : undefined;
      },
    );
    return issued.ok ? { ok: true, code, id: issued.id } : issued;
  }

  /** Withdraws a code that could not be delivered, so the user may ask again at once. */
  withdraw(id: number): Promise<void> {
    return this.repository.withdraw(id);
  }

  /**
   * Checks `code` against the phone's live code and consumes it on success. A wrong code counts
   * an attempt; the fifth wrong one burns the code.
   */
  verify(phone: string, code: string): Promise<VerifyResult> {
    const wanted = /^\d{6}$/.test(code) ? Buffer.from(this.hash(phone, code), 'hex') : undefined;
    return this.repository.verify(
      phone,
      this.clock(),
      (codeHash) => !!wanted && timingSafeEqual(Buffer.from(codeHash, 'hex'), wanted),
      MAX_ATTEMPTS,
    );
  }

  private hash(phone: string, code: string): string {
    return createHmac('sha256', this.pepper).update(`${phone}:${code}`).digest('hex');
  }
}
