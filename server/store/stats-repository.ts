/**
 * Where app statistics are stored (app_stats_daily, app_visitors, and `versions.last_used_at`
 * for retention): one interface, one implementation per engine (docs/decisions/0003). Counts are
 * added with `INSERT … ON CONFLICT DO UPDATE SET x = x + excluded.x` on both engines, so several
 * processes adding to one day's row never lose each other's counts.
 */
import type { StoreDatabase } from '../db/store-database.js';
import { PgStatsRepository } from './stats-pg.js';
import { SqliteStatsRepository } from './stats-sqlite.js';

export interface StatCounts {
  visits: number;
  installs: number;
  pulls: number;
}

/** Pulls of one manifest of one app's repository on one UTC day. */
export interface PulledManifest {
  day: string;
  namespace: string;
  name: string;
  digest: string;
  count: number;
}

export interface StatsRow extends StatCounts {
  day: string;
}

export interface StatsRepository {
  /**
   * Adds the pulls of manifests that are versions of their app (others are dropped) and marks
   * those versions used at `usedAt`: one transaction.
   */
  addPulls(pulled: readonly PulledManifest[], usedAt: number): Promise<void>;
  /** Records `visitor` on `day`; true (and a visit counted) when it had not visited that day. */
  visit(appId: number, day: string, visitor: string): Promise<boolean>;
  /** Counts an install; with `version`, that version is marked used at `usedAt`. */
  install(appId: number, day: string, version: string | undefined, usedAt: number): Promise<void>;
  /** All-time sums of each listed app that has any. */
  totals(appIds: readonly number[]): Promise<Map<number, StatCounts>>;
  /** The app's days from `firstDay` (YYYY-MM-DD) on, in no order. */
  days(appId: number, firstDay: string): Promise<StatsRow[]>;
  /** Forgets who visited before `day` (the counts stay). */
  pruneVisitors(day: string): Promise<void>;
}

export function statsRepository(store: StoreDatabase): StatsRepository {
  switch (store.dialect) {
    case 'sqlite':
      return new SqliteStatsRepository(store.db);
    case 'postgres':
      return new PgStatsRepository(store.db);
  }
}
