/**
 * App statistics, per UTC day (app_stats_daily): visits (once per visitor per day, app_visitors),
 * installs (a template fetched for install) and pulls (GETs of a version's manifest: the bundle,
 * or a draft's template, by tag or digest; the component images a pull then fetches by digest do
 * not count again). Each pull or install also marks its version used (`versions.last_used_at`,
 * for retention). Pulls come from the registry's hot path, so they are buffered in memory and
 * written every few seconds, on `flush()`, and before any read of the numbers.
 */
import { createHash } from 'node:crypto';
import { and, eq, gte, inArray, lt, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Registry, RegistryEvent } from '../../registry/index.js';
import type { Db } from '../db/open-database.js';
import { apps, appStatsDaily, appVisitors, versions } from '../db/store-schema.js';
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

  constructor(
    private readonly deps: { db: Db; clock: () => number; log: Logger; flushIntervalMs?: number },
  ) {}

  /** Counts the registry's manifest pulls from now on; flushes on a timer. */
  attach(registry: Pick<Registry, 'on'>): this {
    this.unsubscribe = registry.on(this.onEvent);
    this.timer = setInterval(() => this.flush(), this.deps.flushIntervalMs ?? FLUSH_INTERVAL_MS);
    this.timer.unref();
    return this;
  }

  readonly onEvent = (event: RegistryEvent): void => {
    if (event.type !== 'manifest.pulled' || !appRefOf(event.repository)) return;
    const key = `${dayOf(this.deps.clock())}\n${event.repository}\n${event.digest}`;
    this.pulls.set(key, (this.pulls.get(key) ?? 0) + 1);
    if (this.pulls.size >= MAX_BUFFERED_KEYS) this.flush();
  };

  /** Writes the buffered pulls: one transaction, pulls of manifests that are no version dropped. */
  flush(): void {
    if (this.pulls.size === 0) return;
    const batch = this.pulls;
    this.pulls = new Map();
    const { db } = this.deps;
    try {
      db.transaction((tx) => {
        for (const [key, count] of batch) {
          const [day, repository, digest] = key.split('\n') as [string, string, string];
          const ref = appRefOf(repository)!;
          const row = tx
            .select({ appId: apps.id, versionId: versions.id })
            .from(apps)
            .innerJoin(versions, eq(versions.appId, apps.id))
            .where(
              and(
                eq(apps.namespace, ref.namespace),
                eq(apps.name, ref.name),
                eq(versions.manifestDigest, digest),
              ),
            )
            .get();
          if (!row) continue;
          this.add(tx, row.appId, day, { pulls: count });
          this.used(tx, row.appId, { id: row.versionId });
        }
      });
    } catch (err) {
      this.deps.log.error({ err, keys: batch.size }, 'pull counts lost');
    }
  }

  /** Flushes and stops counting (shutdown). */
  close(): void {
    this.flush();
    if (this.timer) clearInterval(this.timer);
    this.unsubscribe?.();
  }

  /** Counts a visit unless `visitor` visited the app today already; true when it counted. */
  visit(appId: number, visitor: string): boolean {
    const day = dayOf(this.deps.clock());
    return this.deps.db.transaction((tx) => {
      if (this.prunedDay !== day) {
        tx.delete(appVisitors).where(lt(appVisitors.day, day)).run();
        this.prunedDay = day;
      }
      const fresh =
        tx.insert(appVisitors).values({ appId, day, visitor }).onConflictDoNothing().run().changes >
        0;
      if (fresh) this.add(tx, appId, day, { visits: 1 });
      return fresh;
    });
  }

  /** Counts an install of the app; with `version`, that version was used now (retention). */
  install(appId: number, version?: string): void {
    this.add(this.deps.db, appId, dayOf(this.deps.clock()), { installs: 1 });
    if (version !== undefined) this.used(this.deps.db, appId, { version });
  }

  /** Marks a version as pulled or installed now: retention's `keepPulledDays` reads it. */
  private used(
    tx: Pick<Db, 'update'>,
    appId: number,
    which: { id: number } | { version: string },
  ): void {
    tx.update(versions)
      .set({ lastUsedAt: this.deps.clock() })
      .where(
        'id' in which
          ? eq(versions.id, which.id)
          : and(eq(versions.appId, appId), eq(versions.version, which.version)),
      )
      .run();
  }

  /** All-time totals of each app (zero for apps without statistics). */
  totals(appIds: readonly number[]): Map<number, StatTotals> {
    this.flush();
    const out = new Map<number, StatTotals>(appIds.map((id) => [id, { ...NO_STATS }]));
    if (appIds.length === 0) return out;
    const rows = this.deps.db
      .select({
        appId: appStatsDaily.appId,
        visits: sql<number>`sum(${appStatsDaily.visits})`,
        installs: sql<number>`sum(${appStatsDaily.installs})`,
        pulls: sql<number>`sum(${appStatsDaily.pulls})`,
      })
      .from(appStatsDaily)
      .where(inArray(appStatsDaily.appId, [...appIds]))
      .groupBy(appStatsDaily.appId)
      .all();
    for (const r of rows)
      out.set(r.appId, { visits: r.visits, installs: r.installs, pulls: r.pulls });
    return out;
  }

  /** The last `days` days up to today, oldest first, days without numbers as zeros. */
  series(appId: number, days: number): StatDay[] {
    this.flush();
    const today = Date.parse(dayOf(this.deps.clock()));
    const first = dayOf(today - (days - 1) * DAY_MS);
    const rows = this.deps.db
      .select()
      .from(appStatsDaily)
      .where(and(eq(appStatsDaily.appId, appId), gte(appStatsDaily.day, first)))
      .all();
    const byDay = new Map(rows.map((r) => [r.day, r]));
    return Array.from({ length: days }, (_, i) => {
      const day = dayOf(today - (days - 1 - i) * DAY_MS);
      const r = byDay.get(day);
      return { day, visits: r?.visits ?? 0, installs: r?.installs ?? 0, pulls: r?.pulls ?? 0 };
    });
  }

  private add(tx: Pick<Db, 'insert'>, appId: number, day: string, by: Partial<StatTotals>): void {
    const visits = by.visits ?? 0;
    const installs = by.installs ?? 0;
    const pulls = by.pulls ?? 0;
    tx.insert(appStatsDaily)
      .values({ appId, day, visits, installs, pulls })
      .onConflictDoUpdate({
        target: [appStatsDaily.appId, appStatsDaily.day],
        set: {
          visits: sql`${appStatsDaily.visits} + ${visits}`,
          installs: sql`${appStatsDaily.installs} + ${installs}`,
          pulls: sql`${appStatsDaily.pulls} + ${pulls}`,
        },
      })
      .run();
  }
}
