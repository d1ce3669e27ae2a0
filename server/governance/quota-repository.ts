/**
 * Where quotas and the usage their checks go by are kept: one interface, one implementation per
 * engine (docs/decisions/0003). Usage is counted from the registry's tables (distinct blobs linked
 * into the namespace's repositories plus distinct manifests), each namespace by an index range
 * over `<namespace>/`. The checks' reads sit on the registry's push path (every blob link and
 * manifest PUT): they answer plain values on SQLite and promises on PostgreSQL (`MaybePromise`).
 */
import type { MaybePromise } from '../db/maybe-promise.js';
import type { StoreDatabase } from '../db/store-database.js';
import { PgQuotaRepository } from './quotas-pg.js';
import { SqliteQuotaRepository } from './quotas-sqlite.js';

export interface QuotaRow {
  limitBytes: number;
  warnBytes: number;
  /** The namespace has been told it passed its warning level (reset once it falls below). */
  warned: boolean;
}

export interface QuotaListing {
  namespace: string;
  limitBytes: number;
  warnBytes: number;
}

/** What a check found: the bytes were let in (and added to the figure), or the usage refuses them. */
export interface Reservation {
  admitted: boolean;
  usedBytes: number;
}

/** How long a counted usage serves checks before it is counted again. */
export const USAGE_TTL_MS = 10_000;

/**
 * How long bytes let in may take to be linked (an upload's blob being placed in storage, on S3 a
 * large layer's copy; a manifest's other checks): until then a count adds them, by digest, unless
 * the namespace holds that digest already. A push that failed counts that long.
 */
export const RESERVATION_MS = 15 * 60_000;

export interface QuotaRepository {
  /** The namespace's quota, undefined when it has none. */
  settingsOf(namespace: string): MaybePromise<QuotaRow | undefined>;
  /** Does the namespace hold this blob (linked into one of its repositories) or manifest already? */
  holds(namespace: string, kind: 'blob' | 'manifest', digest: string): MaybePromise<boolean>;
  /**
   * Bytes the namespace holds, counted now; the figure checks go by is kept as that plus the
   * bytes let in and not linked yet (RESERVATION_MS).
   */
  count(namespace: string, now: number): MaybePromise<number>;
  /** The figure when counted less than USAGE_TTL_MS ago, with what was let in since; else counted now. */
  recentUsage(namespace: string, now: number): MaybePromise<number>;
  /**
   * Lets `size` new bytes in when the namespace's usage leaves room under `limitBytes` (0: no
   * limit, always let in), adding them to the figure at once when `digest` names them (an
   * upload's early check of its declared size adds nothing: its blob is checked again once
   * known). Bytes of a digest let in already (an upload's early check, then its commit) are not
   * added twice. A figure that would refuse is counted again first, so nothing is refused on a
   * stale one. One unit of work: on PostgreSQL
   * under the quota row's lock, so checks of every process take turns and see each other's bytes.
   */
  reserve(
    namespace: string,
    size: number,
    limitBytes: number,
    digest: string | undefined,
    now: number,
  ): MaybePromise<Reservation>;
  namespaceId(namespace: string): Promise<number | undefined>;
  /** Sets the quota (warning flag reset). */
  setQuota(namespaceId: number, limitBytes: number, warnBytes: number, at: number): Promise<void>;
  clearQuota(namespaceId: number): Promise<void>;
  /** Sets `warned` to `above` when it was not: true for the one caller that flipped it. */
  flipWarned(namespace: string, above: boolean): Promise<boolean>;
  /** Every namespace, with its quota (zeros: none). */
  everyNamespace(): Promise<QuotaListing[]>;
  /** Every namespace that has a quota. */
  withQuotas(): Promise<QuotaListing[]>;
}

export function quotaRepository(store: StoreDatabase): QuotaRepository {
  switch (store.dialect) {
    case 'sqlite':
      return new SqliteQuotaRepository(store.db, store.sqlite);
    case 'postgres':
      return new PgQuotaRepository(store.db);
  }
}
