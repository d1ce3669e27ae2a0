/**
 * The statistics on SQLite: today's statements, synchronous underneath (each method has done its
 * work when it returns, its promise already settled), each transaction atomic in the process.
 */
import { and, eq, gte, inArray, lt, sql } from 'drizzle-orm';
import { settle } from '../db/settle.js';
import type { SqliteDb } from '../db/store-database.js';
import { apps, appStatsDaily, appVisitors, versions } from '../db/store-schema.js';
import type { PulledManifest, StatCounts, StatsRepository, StatsRow } from './stats-repository.js';

export class SqliteStatsRepository implements StatsRepository {
  constructor(private readonly db: SqliteDb) {}

  addPulls(pulled: readonly PulledManifest[], usedAt: number): Promise<void> {
    return settle(() =>
      this.db.transaction((tx) => {
        for (const p of pulled) {
          const row = tx
            .select({ appId: apps.id, versionId: versions.id })
            .from(apps)
            .innerJoin(versions, eq(versions.appId, apps.id))
            .where(
              and(
                eq(apps.namespace, p.namespace),
                eq(apps.name, p.name),
                eq(versions.manifestDigest, p.digest),
              ),
            )
            .get();
          if (!row) continue;
          add(tx, row.appId, p.day, { pulls: p.count });
          tx.update(versions)
            .set({ lastUsedAt: usedAt })
            .where(eq(versions.id, row.versionId))
            .run();
        }
      }),
    );
  }

  visit(appId: number, day: string, visitor: string): Promise<boolean> {
    return settle(() =>
      this.db.transaction((tx) => {
        const fresh =
          tx.insert(appVisitors).values({ appId, day, visitor }).onConflictDoNothing().run()
            .changes > 0;
        if (fresh) add(tx, appId, day, { visits: 1 });
        return fresh;
      }),
    );
  }

  install(appId: number, day: string, version: string | undefined, usedAt: number): Promise<void> {
    return settle(() =>
      this.db.transaction((tx) => {
        add(tx, appId, day, { installs: 1 });
        if (version !== undefined)
          tx.update(versions)
            .set({ lastUsedAt: usedAt })
            .where(and(eq(versions.appId, appId), eq(versions.version, version)))
            .run();
      }),
    );
  }

  totals(appIds: readonly number[]): Promise<Map<number, StatCounts>> {
    return settle(() => {
      const rows = this.db
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
      return new Map(
        rows.map((r) => [r.appId, { visits: r.visits, installs: r.installs, pulls: r.pulls }]),
      );
    });
  }

  days(appId: number, firstDay: string): Promise<StatsRow[]> {
    return settle(() =>
      this.db
        .select({
          day: appStatsDaily.day,
          visits: appStatsDaily.visits,
          installs: appStatsDaily.installs,
          pulls: appStatsDaily.pulls,
        })
        .from(appStatsDaily)
        .where(and(eq(appStatsDaily.appId, appId), gte(appStatsDaily.day, firstDay)))
        .all(),
    );
  }

  pruneVisitors(day: string): Promise<void> {
    return settle(() => {
      this.db.delete(appVisitors).where(lt(appVisitors.day, day)).run();
    });
  }
}

function add(
  tx: Pick<SqliteDb, 'insert'>,
  appId: number,
  day: string,
  by: Partial<StatCounts>,
): void {
  tx.insert(appStatsDaily)
    .values({
      appId,
      day,
      visits: by.visits ?? 0,
      installs: by.installs ?? 0,
      pulls: by.pulls ?? 0,
    })
    .onConflictDoUpdate({
      target: [appStatsDaily.appId, appStatsDaily.day],
      set: {
        visits: sql`${appStatsDaily.visits} + excluded.visits`,
        installs: sql`${appStatsDaily.installs} + excluded.installs`,
        pulls: sql`${appStatsDaily.pulls} + excluded.pulls`,
      },
    })
    .run();
}
