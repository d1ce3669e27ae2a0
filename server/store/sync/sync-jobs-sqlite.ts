/**
 * Sync jobs on SQLite: today's statements, synchronous underneath, so each read-modify-write
 * (and a claim) is atomic in the process; the promises are settled when a method returns.
 */
import { and, count, desc, eq, inArray, isNull, lt, ne, or } from 'drizzle-orm';
import type { ComponentSync, SyncFailure, SyncJobState } from '../../../schemas/sync.js';
import { settle } from '../../db/settle.js';
import type { SqliteDb } from '../../db/store-database.js';
import { syncJobs, versions } from '../../db/store-schema.js';
import type { SyncJob, SyncJobRepository } from './sync-job-repository.js';
import { noCounts, reopened, toJob } from './sync-job-row.js';

const UNFINISHED: SyncJobState[] = ['pending', 'copying'];

export class SqliteSyncJobRepository implements SyncJobRepository {
  constructor(
    private readonly db: SqliteDb,
    private readonly clock: () => number,
  ) {}

  get(id: number): Promise<SyncJob | undefined> {
    return settle(() => {
      const row = this.db.select().from(syncJobs).where(eq(syncJobs.id, id)).get();
      return row && toJob(row);
    });
  }

  latestFor(versionId: number): Promise<SyncJob | undefined> {
    return settle(() => {
      const row = this.db
        .select()
        .from(syncJobs)
        .where(eq(syncJobs.versionId, versionId))
        .orderBy(desc(syncJobs.id))
        .limit(1)
        .get();
      return row && toJob(row);
    });
  }

  unfinished(): Promise<SyncJob[]> {
    return settle(() =>
      this.db
        .select()
        .from(syncJobs)
        .where(inArray(syncJobs.state, UNFINISHED))
        .orderBy(syncJobs.id)
        .all()
        .map(toJob),
    );
  }

  countByState(): Promise<Record<SyncJobState, number>> {
    return settle(() => {
      const counts = noCounts();
      const rows = this.db
        .select({ state: syncJobs.state, n: count() })
        .from(syncJobs)
        .groupBy(syncJobs.state)
        .all();
      for (const row of rows) counts[row.state] = row.n;
      return counts;
    });
  }

  latestFailed(limit: number): Promise<SyncJob[]> {
    return settle(() =>
      this.db
        .select()
        .from(syncJobs)
        .where(eq(syncJobs.state, 'failed'))
        .orderBy(desc(syncJobs.updatedAt), desc(syncJobs.id))
        .limit(limit)
        .all()
        .map(toJob),
    );
  }

  create(versionId: number, components: ComponentSync[], owner: string): Promise<SyncJob> {
    return settle(() =>
      this.db.transaction((tx) => insertJob(tx, versionId, components, owner, this.clock())),
    );
  }

  start(versionId: number, components: ComponentSync[], owner: string): Promise<SyncJob> {
    return settle(() =>
      this.db.transaction((tx) => {
        const job = insertJob(tx, versionId, components, owner, this.clock());
        tx.update(versions).set({ state: 'syncing' }).where(eq(versions.id, versionId)).run();
        return job;
      }),
    );
  }

  reopen(
    id: number,
    pick: (c: ComponentSync) => boolean,
    owner: string,
  ): Promise<SyncJob | undefined> {
    const now = this.clock();
    return settle(() =>
      this.db.transaction((tx) => {
        const row = tx.select().from(syncJobs).where(eq(syncJobs.id, id)).get();
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
        tx.update(syncJobs)
          .set({
            state: 'pending',
            error: null,
            components: JSON.stringify(job.components),
            owner,
            heartbeatAt: now,
            updatedAt: now,
          })
          .where(eq(syncJobs.id, id))
          .run();
        tx.update(versions).set({ state: 'syncing' }).where(eq(versions.id, job.versionId)).run();
        return job;
      }),
    );
  }

  setState(id: number, state: SyncJobState, error: SyncFailure | null = null): Promise<void> {
    return settle(() => {
      this.db
        .update(syncJobs)
        .set({ state, error: error && JSON.stringify(error), updatedAt: this.clock() })
        .where(eq(syncJobs.id, id))
        .run();
    });
  }

  updateComponents(
    id: number,
    change: (c: ComponentSync) => ComponentSync,
    pick: (c: ComponentSync) => boolean = () => true,
  ): Promise<SyncJob | undefined> {
    return settle(() =>
      this.db.transaction((tx) => {
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
      }),
    );
  }

  claim(owner: string, staleBefore: number): Promise<SyncJob | undefined> {
    const now = this.clock();
    return settle(() =>
      this.db.transaction((tx) => {
        const row = tx
          .select()
          .from(syncJobs)
          .where(
            and(
              inArray(syncJobs.state, UNFINISHED),
              or(
                isNull(syncJobs.owner),
                isNull(syncJobs.heartbeatAt),
                lt(syncJobs.heartbeatAt, staleBefore),
              ),
            ),
          )
          .orderBy(syncJobs.id)
          .limit(1)
          .get();
        if (!row) return undefined;
        tx.update(syncJobs).set({ owner, heartbeatAt: now }).where(eq(syncJobs.id, row.id)).run();
        return toJob({ ...row, owner, heartbeatAt: now });
      }),
    );
  }

  own(id: number, owner: string): Promise<void> {
    return settle(() => {
      this.db
        .update(syncJobs)
        .set({ owner, heartbeatAt: this.clock() })
        .where(eq(syncJobs.id, id))
        .run();
    });
  }

  adopt(owner: string): Promise<SyncJob[]> {
    const now = this.clock();
    return settle(() =>
      this.db
        .update(syncJobs)
        .set({ owner, heartbeatAt: now })
        .where(
          and(
            inArray(syncJobs.state, UNFINISHED),
            or(isNull(syncJobs.owner), ne(syncJobs.owner, owner)),
          ),
        )
        .returning()
        .all()
        .map(toJob)
        .sort((a, b) => a.id - b.id),
    );
  }

  release(owner: string, ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return Promise.resolve();
    return settle(() => {
      this.db
        .update(syncJobs)
        .set({ owner: null, heartbeatAt: null })
        .where(and(eq(syncJobs.owner, owner), inArray(syncJobs.id, [...ids])))
        .run();
    });
  }

  heartbeat(owner: string, ids: readonly number[]): Promise<number[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return settle(() =>
      this.db
        .update(syncJobs)
        .set({ heartbeatAt: this.clock() })
        .where(and(eq(syncJobs.owner, owner), inArray(syncJobs.id, [...ids])))
        .returning({ id: syncJobs.id })
        .all()
        .map((r) => r.id),
    );
  }
}

/** The job row, and the version's older ones deleted (the newest is the one that counts). */
function insertJob(
  tx: Pick<SqliteDb, 'delete' | 'insert'>,
  versionId: number,
  components: ComponentSync[],
  owner: string,
  now: number,
): SyncJob {
  tx.delete(syncJobs).where(eq(syncJobs.versionId, versionId)).run();
  const row = tx
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
    .returning()
    .get();
  return toJob(row);
}
