/**
 * The mirror's run state on PostgreSQL, shared by every process on the database. A run holds
 * `pg_try_advisory_lock(MIRROR_LOCK, hashtext(upstream))` on one pooled connection from its
 * claim to its finish: the lock says who runs an upstream cluster-wide, and it goes with the
 * connection, so a killed process's run is free again at once. `closeInterrupted` takes the lock
 * of each `running` row before closing it: a row whose lock is held is a live process's run.
 * Two upstream names whose hashes collide share a lock (their runs take turns), never a row.
 */
import { and, eq, notInArray } from 'drizzle-orm';
import type pg from 'pg';
import type { PgDb } from '../db/store-database.js';
import { apps, mirrorApps, mirrorUpstreams } from '../db/store-schema.pg.js';
import type {
  MirrorAppRow,
  MirroredAppRef,
  MirrorRunClaim,
  MirrorStateRepository,
  MirrorUpstreamRow,
} from './mirror-state-repository.js';

/** The advisory lock space of mirror runs (the second key is the upstream's name hashed). */
const MIRROR_LOCK = 0x6d697272; // 'mirr'

export class PgMirrorStateRepository implements MirrorStateRepository {
  constructor(
    private readonly db: PgDb,
    private readonly pool: pg.Pool,
  ) {}

  async closeInterrupted(finishedAt: number, error: string): Promise<string[]> {
    const running = await this.db
      .select({ name: mirrorUpstreams.name })
      .from(mirrorUpstreams)
      .where(eq(mirrorUpstreams.state, 'running'));
    const closed: string[] = [];
    for (const { name } of running) {
      const held = await this.lock(name);
      if (!held) continue; // a live process runs it
      try {
        const rows = await held.db
          .update(mirrorUpstreams)
          .set({ state: 'idle', finishedAt, error })
          .where(and(eq(mirrorUpstreams.name, name), eq(mirrorUpstreams.state, 'running')))
          .returning({ name: mirrorUpstreams.name });
        if (rows.length > 0) closed.push(name);
      } finally {
        await held.unlock();
      }
    }
    return closed;
  }

  async claim(upstream: string, startedAt: number): Promise<MirrorRunClaim | undefined> {
    const held = await this.lock(upstream);
    if (!held) return undefined;
    try {
      const row = { state: 'running' as const, startedAt, finishedAt: null, error: null };
      await held.db
        .insert(mirrorUpstreams)
        .values({ name: upstream, ...row })
        .onConflictDoUpdate({ target: mirrorUpstreams.name, set: row });
    } catch (err) {
      await held.unlock();
      throw err;
    }
    return {
      finish: async (finishedAt: number, error: string | null) => {
        const end = (db: PgDb) =>
          db
            .update(mirrorUpstreams)
            .set({ state: 'idle', finishedAt, error })
            .where(eq(mirrorUpstreams.name, upstream));
        try {
          await end(held.db);
          await held.unlock();
          return;
        } catch {
          await held.unlock();
        }
        // The held connection broke, and the lock with it: the row is written only if nobody
        // took the upstream meanwhile (another process's run must not show as ended).
        const again = await this.lock(upstream);
        if (!again) return;
        try {
          await end(again.db);
        } finally {
          await again.unlock();
        }
      },
    };
  }

  async recordApp(
    upstream: string,
    app: string,
    bytes: number,
    error: string | null,
    updatedAt: number,
  ): Promise<void> {
    const row = { bytes, error, updatedAt };
    await this.db
      .insert(mirrorApps)
      .values({ upstream, app, ...row })
      .onConflictDoUpdate({ target: [mirrorApps.upstream, mirrorApps.app], set: row });
  }

  async upstream(name: string): Promise<MirrorUpstreamRow | undefined> {
    const [row] = await this.db
      .select()
      .from(mirrorUpstreams)
      .where(eq(mirrorUpstreams.name, name));
    return row;
  }

  async appRuns(upstream: string): Promise<MirrorAppRow[]> {
    return this.db.select().from(mirrorApps).where(eq(mirrorApps.upstream, upstream));
  }

  async appsOf(upstream: string): Promise<MirroredAppRef[]> {
    return this.db
      .select({ id: apps.id, namespace: apps.namespace, name: apps.name })
      .from(apps)
      .where(eq(apps.mirrorUpstream, upstream));
  }

  async forget(upstream: string, keep: readonly string[]): Promise<void> {
    await this.db
      .delete(mirrorApps)
      .where(and(eq(mirrorApps.upstream, upstream), notInArray(mirrorApps.app, [...keep])));
  }

  /**
   * The upstream's run lock on a connection of its own, or undefined when another session holds
   * it. `unlock` lets go and returns the connection (dropping it when the unlock failed, so no
   * pooled connection keeps a lock).
   */
  private async lock(upstream: string): Promise<{ db: PgDb; unlock(): Promise<void> } | undefined> {
    const client = await this.pool.connect();
    // A dropped connection while the run holds it must not end the process.
    const ignore = (): void => {};
    client.on('error', ignore);
    let got: boolean;
    try {
      const res = await client.query<{ got: boolean }>(
        'SELECT pg_try_advisory_lock($1, hashtext($2)) AS got',
        [MIRROR_LOCK, upstream],
      );
      got = res.rows[0]?.got === true;
    } catch (err) {
      client.off('error', ignore);
      client.release(err as Error);
      throw err;
    }
    if (!got) {
      client.off('error', ignore);
      client.release();
      return undefined;
    }
    return {
      db: (await import('drizzle-orm/node-postgres')).drizzle({ client }),
      unlock: async () => {
        let broken: Error | undefined;
        try {
          await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [
            MIRROR_LOCK,
            upstream,
          ]);
        } catch (err) {
          broken = err as Error;
        }
        client.off('error', ignore);
        client.release(broken ?? false);
      },
    };
  }
}
