/**
 * The mirror's run state in the database (`mirror_upstreams`, `mirror_apps`): whether an upstream
 * is running, when its last run started and ended and why it failed, and per app what the last
 * run copied. A run a stop or crash cut short is closed on the next start, with that as its error.
 */
import type {
  MirrorAppStatus,
  MirrorUpstream,
  MirrorUpstreamStatus,
} from '../../schemas/mirror.js';
import type { StoreDatabase } from '../db/store-database.js';
import type { AppAccess } from '../store/app-access.js';
import { appRefOf } from '../store/version-index.js';
import { mirrorStateRepository, type MirrorStateRepository } from './mirror-state-repository.js';

const INTERRUPTED =
  'the run was interrupted (the store stopped); the next run goes on from what is held';

/** A run this process holds: `finish` records how it ended and lets go of it. */
export interface MirrorRun {
  finish(error: string | null): Promise<void>;
}

export class MirrorState {
  private readonly repository: MirrorStateRepository;

  constructor(
    store: StoreDatabase,
    private readonly access: AppAccess,
    private readonly clock: () => number,
  ) {
    this.repository = mirrorStateRepository(store);
  }

  /**
   * On start: runs left `running` by a stop or crash are closed as interrupted; on a shared
   * PostgreSQL database only those no live process holds. The upstreams closed.
   */
  closeInterrupted(): Promise<string[]> {
    return this.repository.closeInterrupted(this.clock(), INTERRUPTED);
  }

  /** The upstream's run, marked running; undefined while another process runs it. */
  async claim(name: string): Promise<MirrorRun | undefined> {
    const claim = await this.repository.claim(name, this.clock());
    return claim && { finish: (error) => claim.finish(this.clock(), error) };
  }

  /** What the run did for one app (local `namespace/name`). */
  app(upstream: string, app: string, bytes: number, error: string | null): Promise<void> {
    return this.repository.recordApp(upstream, app, bytes, error, this.clock());
  }

  async status(upstream: MirrorUpstream): Promise<MirrorUpstreamStatus> {
    const run = await this.repository.upstream(upstream.name);
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
    const runs = new Map((await this.repository.appRuns(upstream)).map((r) => [r.app, r] as const));
    const rows = await this.repository.appsOf(upstream);
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
  forget(upstream: string, keep: readonly string[]): Promise<void> {
    return this.repository.forget(upstream, keep);
  }
}
