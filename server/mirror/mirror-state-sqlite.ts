/**
 * The mirror's run state on SQLite: today's statements, synchronous underneath. One process
 * serves a SQLite store, so a `running` row is this process's run or one a stop or crash left.
 */
import { and, eq, ne, notInArray } from 'drizzle-orm';
import { settle } from '../db/settle.js';
import type { SqliteDb } from '../db/store-database.js';
import { apps, mirrorApps, mirrorUpstreams } from '../db/store-schema.js';
import type {
  MirrorAppRow,
  MirroredAppRef,
  MirrorRunClaim,
  MirrorStateRepository,
  MirrorUpstreamRow,
} from './mirror-state-repository.js';

export class SqliteMirrorStateRepository implements MirrorStateRepository {
  constructor(private readonly db: SqliteDb) {}

  closeInterrupted(finishedAt: number, error: string): Promise<string[]> {
    return settle(() =>
      this.db
        .update(mirrorUpstreams)
        .set({ state: 'idle', finishedAt, error })
        .where(eq(mirrorUpstreams.state, 'running'))
        .returning({ name: mirrorUpstreams.name })
        .all()
        .map((r) => r.name),
    );
  }

  claim(upstream: string, startedAt: number): Promise<MirrorRunClaim | undefined> {
    return settle(() => {
      const row = { state: 'running' as const, startedAt, finishedAt: null, error: null };
      const taken = this.db
        .insert(mirrorUpstreams)
        .values({ name: upstream, ...row })
        .onConflictDoUpdate({
          target: mirrorUpstreams.name,
          set: row,
          setWhere: ne(mirrorUpstreams.state, 'running'),
        })
        .returning({ name: mirrorUpstreams.name })
        .get();
      if (!taken) return undefined;
      return {
        finish: (finishedAt: number, error: string | null) =>
          settle(() => {
            this.db
              .update(mirrorUpstreams)
              .set({ state: 'idle', finishedAt, error })
              .where(eq(mirrorUpstreams.name, upstream))
              .run();
          }),
      };
    });
  }

  recordApp(
    upstream: string,
    app: string,
    bytes: number,
    error: string | null,
    updatedAt: number,
  ): Promise<void> {
    return settle(() => {
      const row = { bytes, error, updatedAt };
      this.db
        .insert(mirrorApps)
        .values({ upstream, app, ...row })
        .onConflictDoUpdate({ target: [mirrorApps.upstream, mirrorApps.app], set: row })
        .run();
    });
  }

  upstream(name: string): Promise<MirrorUpstreamRow | undefined> {
    return settle(() =>
      this.db.select().from(mirrorUpstreams).where(eq(mirrorUpstreams.name, name)).get(),
    );
  }

  appRuns(upstream: string): Promise<MirrorAppRow[]> {
    return settle(() =>
      this.db.select().from(mirrorApps).where(eq(mirrorApps.upstream, upstream)).all(),
    );
  }

  appsOf(upstream: string): Promise<MirroredAppRef[]> {
    return settle(() =>
      this.db
        .select({ id: apps.id, namespace: apps.namespace, name: apps.name })
        .from(apps)
        .where(eq(apps.mirrorUpstream, upstream))
        .all(),
    );
  }

  forget(upstream: string, keep: readonly string[]): Promise<void> {
    return settle(() => {
      this.db
        .delete(mirrorApps)
        .where(and(eq(mirrorApps.upstream, upstream), notInArray(mirrorApps.app, [...keep])))
        .run();
    });
  }
}
