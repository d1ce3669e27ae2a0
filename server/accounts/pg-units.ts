/**
 * What the accounts' and auth's PostgreSQL repositories share: the transaction handle their units
 * of work pass along, a lock on a key no row stands for yet, and the unique-violation test.
 */
import { sql } from 'drizzle-orm';
import type { PgDb } from '../db/store-database.js';

export type PgTx = Parameters<Parameters<PgDb['transaction']>[0]>[0];

/**
 * Orders the transactions about `key` (e.g. one phone's login codes) until this one ends: SQLite's
 * single writer did it for every read-then-write; here a row lock cannot, as the rows may not exist.
 */
export async function lockKey(tx: PgTx, key: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`);
}

/** PostgreSQL's unique_violation (23505), as pg raises it or drizzle wraps it. */
export function isUniqueViolation(err: unknown): boolean {
  for (let e = err; e instanceof Error; e = e.cause) {
    if ((e as { code?: unknown }).code === '23505') return true;
  }
  return false;
}
