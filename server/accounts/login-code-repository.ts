import type { StoreDatabase } from '../db/store-database.js';
import { pgLoginCodes } from './login-codes-pg.js';
import { sqliteLoginCodes } from './login-codes-sqlite.js';

export interface NewLoginCode {
  phone: string;
  codeHash: string;
  createdAt: number;
  expiresAt: number;
  address: string;
}

/** Why a phone may not have a code now: seconds to wait, or undefined when it may. */
export type IssueLimit = (
  latestCreatedAt: number | undefined,
  issuedToday: number,
) => number | undefined;

export type VerifyOutcome = 'ok' | 'wrong' | 'expired';

/**
 * Login codes in the database. Each method is one transaction: `issue` reads the phone's limits
 * and writes the code with nothing in between (two requests for one phone cannot both pass the
 * resend interval), `verify` locks the live code, so a code is consumed once.
 */
export interface LoginCodeRepository {
  /** Consumes the phone's live codes and stores `code`, unless `limit` refuses: then the wait. */
  issue(
    code: NewLoginCode,
    limit: IssueLimit,
  ): Promise<{ ok: true; id: number } | { ok: false; retryAfterSeconds: number }>;
  withdraw(id: number): Promise<void>;
  /**
   * Judges the phone's newest live code: consumed when `matches`, else one attempt more, burnt at
   * `maxAttempts`.
   */
  verify(
    phone: string,
    now: number,
    matches: (codeHash: string) => boolean,
    maxAttempts: number,
  ): Promise<VerifyOutcome>;
}

export const DAY_MS = 86_400_000;

export function loginCodeRepository(store: StoreDatabase): LoginCodeRepository {
  switch (store.dialect) {
    case 'sqlite':
      return sqliteLoginCodes(store.db);
    case 'postgres':
      return pgLoginCodes(store.db);
  }
}
