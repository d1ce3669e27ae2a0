/**
 * The mirror's run state in the database (`mirror_upstreams`, `mirror_apps`): whether an upstream
 * is running, when its last run started and ended and why it failed, and per app what the last
 * run copied. A run a stop or crash cut short is closed on the next start, with that as its error.
 */
import { and, eq, inArray } from 'drizzle-orm';
import type {
  MirrorAppStatus,
  MirrorUpstream,
  MirrorUpstreamStatus,
} from '../../schemas/mirror.js';
import type { Db } from '../db/open-database.js';
import { apps, mirrorApps, mirrorUpstreams } from '../db/store-schema.js';
import type { AppAccess } from '../store/app-access.js';
import { appRefOf } from '../store/version-index.js';

const INTERRUPTED =
  'the run was interrupted (the store stopped); the next run goes on from what is held';

export class MirrorState {
  constructor(
    private readonly db: Db,
    private readonly access: AppAccess,
    private readonly clock: () => number,
  ) {}

  /** On start: runs left `running` by a stop or crash are closed as interrupted. */
  closeInterrupted(): void {
    this.db
      .update(mirrorUpstreams)
      .set({ state: 'idle', finishedAt: this.clock(), error: INTERRUPTED })
      .where(eq(mirrorUpstreams.state, 'running'))
      .run();
  }

  started(name: string): void {
    const row = {
      state: 'running' as const,
      startedAt: this.clock(),
      finishedAt: null,
      error: null,
    };
    this.db
      .insert(mirrorUpstreams)
      .values({ name, ...row })
      .onConflictDoUpdate({ target: mirrorUpstreams.name, set: row })
      .run();
  }

  finished(name: string, error: string | null): void {
    this.db
      .update(mirrorUpstreams)
      .set({ state: 'idle', finishedAt: this.clock(), error })
      .where(eq(mirrorUpstreams.name, name))
      .run();
  }

  /** What the run did for one app (local `namespace/name`). */
  app(upstream: string, app: string, bytes: number, error: string | null): void {
    const row = { bytes, error, updatedAt: this.clock() };
    this.db
      .insert(mirrorApps)
      .values({ upstream, app, ...row })
      .onConflictDoUpdate({ target: [mirrorApps.upstream, mirrorApps.app], set: row })
      .run();
  }

  async status(upstream: MirrorUpstream): Promise<MirrorUpstreamStatus> {
    const run = this.db
      .select()
      .from(mirrorUpstreams)
      .where(eq(mirrorUpstreams.name, upstream.name))
      .get();
    const iso = (ms: number | null): string | null =>
      ms === null ? null : new Date(ms).toISOString();
    return {
      name: upstream.name,
      url: upstream.url,
      state: run?.state ?? 'idle',
      lastRun:
        run && run.startedAt !== null
          ? { startedAt: iso(run.startedAt)!, finishedAt: iso(run.finishedAt), error: run.error }
          : null,
      apps: await this.apps(upstream.name),
    };
  }

  private async apps(upstream: string): Promise<MirrorAppStatus[]> {
    const runs = new Map(
      this.db
        .select()
        .from(mirrorApps)
        .where(eq(mirrorApps.upstream, upstream))
        .all()
        .map((r) => [r.app, r] as const),
    );
    const rows = this.db.select().from(apps).where(eq(apps.mirrorUpstream, upstream)).all();
    const names = new Set([...rows.map((a) => `${a.namespace}/${a.name}`), ...runs.keys()]);
    return Promise.all(
      [...names].sort().map(async (app): Promise<MirrorAppStatus> => {
        const ref = appRefOf(app);
        const row = ref && rows.find((r) => r.namespace === ref.namespace && r.name === ref.name);
        const run = runs.get(app);
        return {
          app,
          versions: row ? (await this.access.versionsOf(row.id, false)).map((v) => v.version) : [],
          bytes: run?.bytes ?? 0,
          error: run?.error ?? null,
        };
      }),
    );
  }

  /** Forgets per-app rows of apps no longer held nor followed (an app deleted here, say). */
  forget(upstream: string, keep: readonly string[]): void {
    const stale = this.db
      .select({ app: mirrorApps.app })
      .from(mirrorApps)
      .where(eq(mirrorApps.upstream, upstream))
      .all()
      .map((r) => r.app)
      .filter((a) => !keep.includes(a));
    if (stale.length > 0)
      this.db
        .delete(mirrorApps)
        .where(and(eq(mirrorApps.upstream, upstream), inArray(mirrorApps.app, stale)))
        .run();
  }
}
