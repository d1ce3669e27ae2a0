/**
 * Where sync jobs are stored (`sync_jobs`): one interface, one implementation per engine
 * (docs/decisions/0003). A job is run by one process at a time: its `owner`, which renews
 * `heartbeat_at` while it runs; `claim` hands an unfinished job to a caller when nobody owns it
 * or its owner's heartbeat is older than `staleBefore` (the process died), so a job of a killed
 * process is taken over and no job runs twice.
 */
import type { ComponentSync, SyncFailure, SyncJobState } from '../../../schemas/sync.js';
import type { StoreDatabase } from '../../db/store-database.js';
import { PgSyncJobRepository } from './sync-jobs-pg.js';
import { SqliteSyncJobRepository } from './sync-jobs-sqlite.js';

export interface SyncJob {
  id: number;
  versionId: number;
  state: SyncJobState;
  components: ComponentSync[];
  error: SyncFailure | null;
  owner: string | null;
  heartbeatAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface SyncJobRepository {
  get(id: number): Promise<SyncJob | undefined>;
  /** The version's newest job. */
  latestFor(versionId: number): Promise<SyncJob | undefined>;
  /** Pending and copying jobs, oldest first. */
  unfinished(): Promise<SyncJob[]>;
  /** How many jobs are in each state (every state listed, 0 when none). */
  countByState(): Promise<Record<SyncJobState, number>>;
  /** The newest failed jobs, for the admin storage page. */
  latestFailed(limit: number): Promise<SyncJob[]>;
  /** A new pending job for the version, owned by `owner`; its older jobs go. */
  create(versionId: number, components: ComponentSync[], owner: string): Promise<SyncJob>;
  /**
   * Publishing: `create`, and the version marked syncing, in one unit of work (a status read
   * never sees a syncing version without its job).
   */
  start(versionId: number, components: ComponentSync[], owner: string): Promise<SyncJob>;
  /**
   * A retry: the components `pick` chooses go back to pending (their error cleared), the job to
   * pending and its version to syncing, owned by `owner`, in one unit of work; the job as it is
   * now, or undefined when it is gone.
   */
  reopen(
    id: number,
    pick: (c: ComponentSync) => boolean,
    owner: string,
  ): Promise<SyncJob | undefined>;
  setState(id: number, state: SyncJobState, error?: SyncFailure | null): Promise<void>;
  /**
   * Changes the components `pick` chooses (all when omitted) with `change`, in one
   * read-modify-write (the row locked on PostgreSQL); the job as it is now, or undefined when it
   * is gone.
   */
  updateComponents(
    id: number,
    change: (c: ComponentSync) => ComponentSync,
    pick?: (c: ComponentSync) => boolean,
  ): Promise<SyncJob | undefined>;
  /**
   * Takes the oldest unfinished job that nobody owns or whose owner's heartbeat is older than
   * `staleBefore`, as `owner` (heartbeat now); undefined when there is none. Two callers never
   * get the same job while its owner's heartbeat is fresh.
   */
  claim(owner: string, staleBefore: number): Promise<SyncJob | undefined>;
  /** Makes `owner` the owner of job `id` now (a retry of a failed job, in the process asked). */
  own(id: number, owner: string): Promise<void>;
  /**
   * At start: takes every unfinished job no live process owns, as `owner`. On PostgreSQL those
   * `claim` would hand out (no owner, or a heartbeat older than `staleBefore`); on SQLite, whose
   * database one process serves, every unfinished job of another owner (a previous run's).
   */
  adopt(owner: string, staleBefore: number): Promise<SyncJob[]>;
  /** Gives up `owner`'s jobs of `ids` (a stop): another process may claim them at once. */
  release(owner: string, ids: readonly number[]): Promise<void>;
  /** Renews `owner`'s heartbeat on the jobs of `ids` it still owns; returns those ids. */
  heartbeat(owner: string, ids: readonly number[]): Promise<number[]>;
}

export function syncJobRepository(store: StoreDatabase, clock: () => number): SyncJobRepository {
  switch (store.dialect) {
    case 'sqlite':
      return new SqliteSyncJobRepository(store.db, clock);
    case 'postgres':
      return new PgSyncJobRepository(store.db, clock);
  }
}
