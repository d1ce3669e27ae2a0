/**
 * Where the mirror keeps its run state (`mirror_upstreams`, `mirror_apps`): one interface, one
 * implementation per engine (docs/decisions/0003). A run of an upstream is taken by one process
 * at a time: `claim` answers undefined while another holds it. On SQLite (one process) the row's
 * state decides; on PostgreSQL a session advisory lock per upstream, held on one connection for
 * the whole run, so a process that dies lets go of its runs with its connection, and
 * `closeInterrupted` closes only the `running` rows whose lock nobody holds.
 */
import type { StoreDatabase } from '../db/store-database.js';
import type { mirrorApps, mirrorUpstreams } from '../db/store-schema.js';
import { PgMirrorStateRepository } from './mirror-state-pg.js';
import { SqliteMirrorStateRepository } from './mirror-state-sqlite.js';

export type MirrorUpstreamRow = typeof mirrorUpstreams.$inferSelect;
export type MirrorAppRow = typeof mirrorApps.$inferSelect;

/** The local apps an upstream fills. */
export interface MirroredAppRef {
  id: number;
  namespace: string;
  name: string;
}

/** A run this process holds; `finish` records its end and lets go of it. */
export interface MirrorRunClaim {
  finish(finishedAt: number, error: string | null): Promise<void>;
}

export interface MirrorStateRepository {
  /**
   * Runs left `running` whose holder is gone (a stop or crash) become idle with `error`; the
   * upstreams closed.
   */
  closeInterrupted(finishedAt: number, error: string): Promise<string[]>;
  /** The upstream's run, marked running from `startedAt`; undefined while another holds it. */
  claim(upstream: string, startedAt: number): Promise<MirrorRunClaim | undefined>;
  /** What the run did for one app (local `namespace/name`). */
  recordApp(
    upstream: string,
    app: string,
    bytes: number,
    error: string | null,
    updatedAt: number,
  ): Promise<void>;
  upstream(name: string): Promise<MirrorUpstreamRow | undefined>;
  appRuns(upstream: string): Promise<MirrorAppRow[]>;
  /** The local apps marked as this upstream's. */
  appsOf(upstream: string): Promise<MirroredAppRef[]>;
  /** Forgets the per-app rows of apps not in `keep`. */
  forget(upstream: string, keep: readonly string[]): Promise<void>;
}

export function mirrorStateRepository(store: StoreDatabase): MirrorStateRepository {
  switch (store.dialect) {
    case 'sqlite':
      return new SqliteMirrorStateRepository(store.db);
    case 'postgres':
      return new PgMirrorStateRepository(store.db, store.pool);
  }
}
