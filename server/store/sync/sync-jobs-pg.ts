/**
 * Sync jobs on PostgreSQL. A read-modify-write of a job locks its row (`FOR UPDATE`), as
 * SQLite's single writer did; `claim` takes the oldest claimable row with `FOR UPDATE SKIP
 * LOCKED`, so processes claiming at once each get a different job (or none), never the same.
 */
import { and, count, desc, eq, inArray, isNull, lt, or, type SQL } from 'drizzle-orm';
import type { ComponentSync, SyncFailure, SyncJobState } from '../../../schemas/sync.js';
import type { PgDb } from '../../db/store-database.js';
import { syncJobs, versions } from '../../db/store-schema.pg.js';
import type { SyncJob, SyncJobRepository } from './sync-job-repository.js';
import { noCounts, reopened, toJob } from './sync-job-row.js';

const UNFINISHED: SyncJobState[] = ['pending', 'copying'];

export class PgSyncJobRepository implements SyncJobRepository {
  constructor(
    private readonly db: PgDb,
    private readonly clock: () => number,
  ) {}

  async get(id: number): Promise<SyncJob | undefined> {
    const [row] = await this.db.select().from(syncJobs).where(eq(syncJobs.id, id));
    return row && toJob(row);
  }

  async latestFor(versionId: number): Promise<SyncJob | undefined> {
    const [row] = await this.db
      .select()
      .from(syncJobs)
      .where(eq(syncJobs.versionId, versionId))
      .orderBy(desc(syncJobs.id))
      .limit(1);
    return row && toJob(row);
  }

  async unfinished(): Promise<SyncJob[]> {
    const rows = await this.db
      .select()
      .from(syncJobs)
      .where(inArray(syncJobs.state, UNFINISHED))
      .orderBy(syncJobs.id);
    return rows.map(toJob);
  }

  async countByState(): Promise<Record<SyncJobState, number>> {
    const counts = noCounts();
    const rows = await this.db
      .select({ state: syncJobs.state, n: count() })
      .from(syncJobs)
      .groupBy(syncJobs.state);
    for (const row of rows) counts[row.state] = row.n;
    return counts;
  }

  async latestFailed(limit: number): Promise<SyncJob[]> {
    const rows = await this.db
      .select()
      .from(syncJobs)
      .where(eq(syncJobs.state, 'failed'))
      .orderBy(desc(syncJobs.updatedAt), desc(syncJobs.id))
      .limit(limit);
    return rows.map(toJob);
  }

  async create(versionId: number, components: ComponentSync[], owner: string): Promise<SyncJob> {
    return this.db.transaction((tx) => insertJob(tx, versionId, components, owner, this.clock()));
  }

  async start(versionId: number, components: ComponentSync[], owner: string): Promise<SyncJob> {
    return this.db.transaction(async (tx) => {
      const job = await insertJob(tx, versionId, components, owner, this.clock());
      await tx.update(versions).set({ state: 'syncing' }).where(eq(versions.id, versionId));
      return job;
    });
  }

  async reopen(
    id: number,
    pick: (c: ComponentSync) => boolean,
    owner: string,
  ): Promise<SyncJob | undefined> {
    const now = this.clock();
    return this.db.transaction(async (tx) => {
      const [row] = await tx.select().from(syncJobs).where(eq(syncJobs.id, id)).for('update');
      if (!row) return undefined;
      const job = toJob(row);
      Object.assign(job, {
        components: reopened(job.components, pick),
        state: 'pending',
        error: null,
        owner,
        heartbeatAt: now,
        updatedAt: now,
      });
      await tx
        .update(syncJobs)
        .set({
          state: 'pending',
          error: null,
          components: JSON.stringify(job.components),
          owner,
          heartbeatAt: now,
          updatedAt: now,
        })
        .where(eq(syncJobs.id, id));
      await tx.update(versions).set({ state: 'syncing' }).where(eq(versions.id, job.versionId));
      return job;
    });
  }

  async setState(id: number, state: SyncJobState, error: SyncFailure | null = null): Promise<void> {
    await this.db
      .update(syncJobs)
      .set({ state, error: error && JSON.stringify(error), updatedAt: this.clock() })
      .where(eq(syncJobs.id, id));
  }

  async updateComponents(
    id: number,
    change: (c: ComponentSync) => ComponentSync,
    pick: (c: ComponentSync) => boolean = () => true,
  ): Promise<SyncJob | undefined> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx.select().from(syncJobs).where(eq(syncJobs.id, id)).for('update');
      if (!row) return undefined;
      const job = toJob(row);
      job.components = job.components.map((c) => (pick(c) ? change(c) : c));
      job.updatedAt = this.clock();
      await tx
        .update(syncJobs)
        .set({ components: JSON.stringify(job.components), updatedAt: job.updatedAt })
        .where(eq(syncJobs.id, id));
      return job;
    });
  }

  async claim(owner: string, staleBefore: number): Promise<SyncJob | undefined> {
    const now = this.clock();
    return this.db.transaction(async (tx) => {
      const [row] = await tx
        .select()
        .from(syncJobs)
        .where(claimable(staleBefore))
        .orderBy(syncJobs.id)
        .limit(1)
        .for('update', { skipLocked: true });
      if (!row) return undefined;
      await tx.update(syncJobs).set({ owner, heartbeatAt: now }).where(eq(syncJobs.id, row.id));
      return toJob({ ...row, owner, heartbeatAt: now });
    });
  }

  async own(id: number, owner: string): Promise<void> {
    await this.db
      .update(syncJobs)
      .set({ owner, heartbeatAt: this.clock() })
      .where(eq(syncJobs.id, id));
  }

  async adopt(owner: string, staleBefore: number): Promise<SyncJob[]> {
    const now = this.clock();
    return this.db.transaction(async (tx) => {
      const free = await tx
        .select({ id: syncJobs.id })
        .from(syncJobs)
        .where(claimable(staleBefore))
        .orderBy(syncJobs.id)
        .for('update', { skipLocked: true });
      if (free.length === 0) return [];
      const rows = await tx
        .update(syncJobs)
        .set({ owner, heartbeatAt: now })
        .where(
          inArray(
            syncJobs.id,
            free.map((r) => r.id),
          ),
        )
        .returning();
      return rows.map(toJob).sort((a, b) => a.id - b.id);
    });
  }

  async release(owner: string, ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db
      .update(syncJobs)
      .set({ owner: null, heartbeatAt: null })
      .where(and(eq(syncJobs.owner, owner), inArray(syncJobs.id, [...ids])));
  }

  async heartbeat(owner: string, ids: readonly number[]): Promise<number[]> {
    if (ids.length === 0) return [];
    const rows = await this.db
      .update(syncJobs)
      .set({ heartbeatAt: this.clock() })
      .where(and(eq(syncJobs.owner, owner), inArray(syncJobs.id, [...ids])))
      .returning({ id: syncJobs.id });
    return rows.map((r) => r.id);
  }
}

/** Unfinished, and owned by nobody or by a process whose heartbeat is older than `staleBefore`. */
function claimable(staleBefore: number): SQL | undefined {
  return and(
    inArray(syncJobs.state, UNFINISHED),
    or(isNull(syncJobs.owner), isNull(syncJobs.heartbeatAt), lt(syncJobs.heartbeatAt, staleBefore)),
  );
}

/** The job row, and the version's older ones deleted (the newest is the one that counts). */
async function insertJob(
  tx: Pick<PgDb, 'delete' | 'insert'>,
  versionId: number,
  components: ComponentSync[],
  owner: string,
  now: number,
): Promise<SyncJob> {
  await tx.delete(syncJobs).where(eq(syncJobs.versionId, versionId));
  const [row] = await tx
    .insert(syncJobs)
    .values({
      versionId,
      state: 'pending',
      components: JSON.stringify(components),
      owner,
      heartbeatAt: now,
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  return toJob(row!);
}
