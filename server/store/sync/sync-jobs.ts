/**
 * Sync jobs as rows of `sync_jobs`: the job's state, and per component its state, pinned digest,
 * progress and failure (a JSON array). Every change is one synchronous read-modify-write, so the
 * components of a job, copied side by side, never lose each other's updates.
 */
import { count, desc, eq, inArray } from 'drizzle-orm';
import { z } from 'zod';
import {
  ComponentSync,
  SyncFailure,
  SyncJobState,
  type SyncJobView,
} from '../../../schemas/sync.js';
import type { Db } from '../../db/open-database.js';
import { syncJobs } from '../../db/store-schema.js';

export interface SyncJob {
  id: number;
  versionId: number;
  state: SyncJobState;
  components: ComponentSync[];
  error: SyncFailure | null;
  createdAt: number;
  updatedAt: number;
}

const Components = z.array(ComponentSync);

export class SyncJobs {
  constructor(
    private readonly db: Db,
    private readonly clock: () => number,
  ) {}

  get(id: number): SyncJob | undefined {
    const row = this.db.select().from(syncJobs).where(eq(syncJobs.id, id)).get();
    return row && toJob(row);
  }

  /** The version's newest job. */
  latestFor(versionId: number): SyncJob | undefined {
    const row = this.db
      .select()
      .from(syncJobs)
      .where(eq(syncJobs.versionId, versionId))
      .orderBy(desc(syncJobs.id))
      .limit(1)
      .get();
    return row && toJob(row);
  }

  /** Jobs a restart must take up again. */
  unfinished(): SyncJob[] {
    return this.db
      .select()
      .from(syncJobs)
      .where(inArray(syncJobs.state, ['pending', 'copying']))
      .orderBy(syncJobs.id)
      .all()
      .map(toJob);
  }

  /** How many jobs are in each state (every state listed, 0 when none). */
  countByState(): Record<SyncJobState, number> {
    const counts = Object.fromEntries(SyncJobState.options.map((s) => [s, 0])) as Record<
      SyncJobState,
      number
    >;
    const rows = this.db
      .select({ state: syncJobs.state, n: count() })
      .from(syncJobs)
      .groupBy(syncJobs.state)
      .all();
    for (const row of rows) counts[row.state] = row.n;
    return counts;
  }

  /** The newest failed jobs, for the admin storage page. */
  latestFailed(limit: number): SyncJob[] {
    return this.db
      .select()
      .from(syncJobs)
      .where(eq(syncJobs.state, 'failed'))
      .orderBy(desc(syncJobs.updatedAt), desc(syncJobs.id))
      .limit(limit)
      .all()
      .map(toJob);
  }

  /** A new pending job for the version; its older jobs go (the newest is the one that counts). */
  create(versionId: number, components: ComponentSync[]): SyncJob {
    const now = this.clock();
    return this.db.transaction((tx) => {
      tx.delete(syncJobs).where(eq(syncJobs.versionId, versionId)).run();
      const row = tx
        .insert(syncJobs)
        .values({
          versionId,
          state: 'pending',
          components: JSON.stringify(components),
          createdAt: now,
          updatedAt: now,
        })
        .returning()
        .get();
      return toJob(row);
    });
  }

  setState(id: number, state: SyncJobState, error: SyncFailure | null = null): void {
    this.db
      .update(syncJobs)
      .set({ state, error: error && JSON.stringify(error), updatedAt: this.clock() })
      .where(eq(syncJobs.id, id))
      .run();
  }

  /**
   * Changes the components `pick` chooses (all when omitted) with `change`; returns the job as it
   * is now, or undefined when the job is gone (its version was deleted).
   */
  updateComponents(
    id: number,
    change: (c: ComponentSync) => ComponentSync,
    pick: (c: ComponentSync) => boolean = () => true,
  ): SyncJob | undefined {
    return this.db.transaction((tx) => {
      const row = tx.select().from(syncJobs).where(eq(syncJobs.id, id)).get();
      if (!row) return undefined;
      const job = toJob(row);
      job.components = job.components.map((c) => (pick(c) ? change(c) : c));
      job.updatedAt = this.clock();
      tx.update(syncJobs)
        .set({ components: JSON.stringify(job.components), updatedAt: job.updatedAt })
        .where(eq(syncJobs.id, id))
        .run();
      return job;
    });
  }
}

export function viewOf(job: SyncJob, version: string): SyncJobView {
  return {
    id: job.id,
    version,
    state: job.state,
    progress: {
      done: job.components.filter((c) => c.state === 'done').length,
      total: job.components.length,
    },
    error: job.error,
    components: job.components,
    createdAt: new Date(job.createdAt).toISOString(),
    updatedAt: new Date(job.updatedAt).toISOString(),
  };
}

function toJob(row: typeof syncJobs.$inferSelect): SyncJob {
  const components = Components.safeParse(safeJson(row.components));
  const error = row.error === null ? null : SyncFailure.safeParse(safeJson(row.error));
  return {
    id: row.id,
    versionId: row.versionId,
    state: row.state,
    components: components.success ? components.data : [],
    error:
      error === null
        ? null
        : error.success
          ? error.data
          : { code: 'unknown', message: row.error ?? '' },
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
