/**
 * App statistics, per UTC day (app_stats_daily): visits (once per visitor per day, app_visitors),
 * installs (a template fetched for install) and pulls (GETs of a version's manifest: the bundle,
 * or a draft's template, by tag or digest; the component images a pull then fetches by digest do
 * not count again). Each pull or install also marks its version used (`versions.last_used_at`,
 * for retention). Pulls come from the registry's hot path, so they are buffered in memory and
 * written every few seconds, on `flush()`, and before any read of the numbers.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Registry, RegistryEvent } from '../../registry/index.js';
import type { StoreDatabase } from '../db/store-database.js';
import { statsRepository, type PulledManifest, type StatsRepository } from './stats-repository.js';
import { appRefOf } from './version-index.js';

const FLUSH_INTERVAL_MS = 5_000;
/** Distinct (day, repository, digest) keys kept before an early flush. */
const MAX_BUFFERED_KEYS = 10_000;
const DAY_MS = 86_400_000;

export interface StatTotals {
  visits: number;
  installs: number;
  pulls: number;
}

export interface StatDay extends StatTotals {
  /** UTC day, YYYY-MM-DD. */
  day: string;
}

export const NO_STATS: StatTotals = { visits: 0, installs: 0, pulls: 0 };

export function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Who a visit counts for: the user, or (anonymous) a hash of address and user agent. */
export function visitorOf(userId: number | undefined, address: string, userAgent: string): string {
  if (userId !== undefined) return `user:${userId}`;
  return `anon:${createHash('sha256').update(`${address}\n${userAgent}`).digest('hex').slice(0, 32)}`;
}

export class AppStats {
  private pulls = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private prunedDay = '';
  /** Install counts being written. */
  private readonly installs = new Set<Promise<void>>();
  private readonly repo: StatsRepository;

  constructor(
    private readonly deps: {
      store: StoreDatabase;
      clock: () => number;
      log: Logger;
      flushIntervalMs?: number;
    },
  ) {
    this.repo = statsRepository(deps.store);
  }

  /** Counts the registry's manifest pulls from now on; flushes on a timer. */
  attach(registry: Pick<Registry, 'on'>): this {
    this.unsubscribe = registry.on(this.onEvent);
    this.timer = setInterval(
      () => void this.flush(),
      this.deps.flushIntervalMs ?? FLUSH_INTERVAL_MS,
    );
    this.timer.unref();
    return this;
  }

  readonly onEvent = (event: RegistryEvent): void => {
    if (event.type !== 'manifest.pulled' || !appRefOf(event.repository)) return;
    const key = `${dayOf(this.deps.clock())}\n${event.repository}\n${event.digest}`;
    this.pulls.set(key, (this.pulls.get(key) ?? 0) + 1);
    if (this.pulls.size >= MAX_BUFFERED_KEYS) void this.flush();
  };

  /**
   * Writes the buffered pulls: one transaction, pulls of manifests that are no version dropped.
   * Also waits for install counts being written. The buffer is taken at the call (on SQLite the rows are written before it returns), and a
   * failed write is logged, never thrown: the counts are lost, the pulls they count are not.
   */
  flush(): Promise<void> {
    const writing = Promise.all(this.installs).then(() => {});
    if (this.pulls.size === 0) return writing;
    const batch = this.pulls;
    this.pulls = new Map();
    const pulled = [...batch].map(([key, count]): PulledManifest => {
      const [day, repository, digest] = key.split('\n') as [string, string, string];
      const ref = appRefOf(repository)!;
      return { day, namespace: ref.namespace, name: ref.name, digest, count };
    });
    const added = this.repo.addPulls(pulled, this.deps.clock()).catch((err: unknown) => {
      this.deps.log.error({ err, keys: batch.size }, 'pull counts lost');
    });
    return Promise.all([writing, added]).then(() => {});
  }

  /** Flushes and stops counting (shutdown). */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.unsubscribe?.();
    await this.flush();
  }

  /** Counts a visit unless `visitor` visited the app today already; true when it counted. */
  async visit(appId: number, visitor: string): Promise<boolean> {
    const day = dayOf(this.deps.clock());
    if (this.prunedDay !== day) {
      await this.repo.pruneVisitors(day);
      this.prunedDay = day;
    }
    return this.repo.visit(appId, day, visitor);
  }

  /**
   * Counts an install of the app; with `version`, that version was used now (retention). The
   * template is served whether or not the count is written: a failed write is logged, and the
   * reads of the numbers (and `flush`) wait for the writes under way.
   */
  install(appId: number, version?: string): void {
    const now = this.deps.clock();
    const write: Promise<void> = this.repo
      .install(appId, dayOf(now), version, now)
      .catch((err: unknown) => this.deps.log.error({ err, appId }, 'install count lost'))
      .finally(() => this.installs.delete(write));
    this.installs.add(write);
  }

  /** All-time totals of each app (zero for apps without statistics). */
  async totals(appIds: readonly number[]): Promise<Map<number, StatTotals>> {
    await this.flush();
    const out = new Map<number, StatTotals>(appIds.map((id) => [id, { ...NO_STATS }]));
    if (appIds.length === 0) return out;
    for (const [id, counts] of await this.repo.totals(appIds)) out.set(id, counts);
    return out;
  }

  /** The last `days` days up to today, oldest first, days without numbers as zeros. */
  async series(appId: number, days: number): Promise<StatDay[]> {
    await this.flush();
    const today = Date.parse(dayOf(this.deps.clock()));
    const first = dayOf(today - (days - 1) * DAY_MS);
    const byDay = new Map((await this.repo.days(appId, first)).map((r) => [r.day, r]));
    return Array.from({ length: days }, (_, i) => {
      const day = dayOf(today - (days - 1 - i) * DAY_MS);
      const r = byDay.get(day);
      return { day, visits: r?.visits ?? 0, installs: r?.installs ?? 0, pulls: r?.pulls ?? 0 };
    });
  }
}
