/**
 * The statistics on PostgreSQL. Counts are added by the upsert alone (`x = x + excluded.x` adds
 * under the row lock the conflict takes), so no read-then-write needs a lock of its own; a visit
 * is counted by the process whose insert of the visitor row wins.
 */
import { and, eq, gte, inArray, lt, sql } from 'drizzle-orm';
import type { PgDb } from '../db/store-database.js';
import { apps, appStatsDaily, appVisitors, versions } from '../db/store-schema.pg.js';
import type { PulledManifest, StatCounts, StatsRepository, StatsRow } from './stats-repository.js';

type Tx = Pick<PgDb, 'insert'>;

export class PgStatsRepository implements StatsRepository {
  constructor(private readonly db: PgDb) {}

  async addPulls(pulled: readonly PulledManifest[], usedAt: number): Promise<void> {
    await this.db.transaction(async (tx) => {
      for (const p of pulled) {
        const [row] = await tx
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
          .limit(1);
        if (!row) continue;
        await add(tx, row.appId, p.day, { pulls: p.count });
        await tx.update(versions).set({ lastUsedAt: usedAt }).where(eq(versions.id, row.versionId));
      }
    });
  }

  async visit(appId: number, day: string, visitor: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const inserted = await tx
        .insert(appVisitors)
        .values({ appId, day, visitor })
        .onConflictDoNothing()
        .returning({ appId: appVisitors.appId });
      if (inserted.length === 0) return false;
      await add(tx, appId, day, { visits: 1 });
      return true;
    });
  }

  async install(
    appId: number,
    day: string,
    version: string | undefined,
    usedAt: number,
  ): Promise<void> {
    await this.db.transaction(async (tx) => {
      await add(tx, appId, day, { installs: 1 });
      if (version !== undefined)
        await tx
          .update(versions)
          .set({ lastUsedAt: usedAt })
          .where(and(eq(versions.appId, appId), eq(versions.version, version)));
    });
  }

  async totals(appIds: readonly number[]): Promise<Map<number, StatCounts>> {
    // sum() of integers is a bigint, which pg hands as a string: cast back to a JS number.
    const rows = await this.db
      .select({
        appId: appStatsDaily.appId,
        visits: sql<number>`sum(${appStatsDaily.visits})::float8`,
        installs: sql<number>`sum(${appStatsDaily.installs})::float8`,
        pulls: sql<number>`sum(${appStatsDaily.pulls})::float8`,
      })
      .from(appStatsDaily)
      .where(inArray(appStatsDaily.appId, [...appIds]))
      .groupBy(appStatsDaily.appId);
    return new Map(
      rows.map((r) => [r.appId, { visits: r.visits, installs: r.installs, pulls: r.pulls }]),
    );
  }

  async days(appId: number, firstDay: string): Promise<StatsRow[]> {
    return this.db
      .select({
        day: appStatsDaily.day,
        visits: appStatsDaily.visits,
        installs: appStatsDaily.installs,
        pulls: appStatsDaily.pulls,
      })
      .from(appStatsDaily)
      .where(and(eq(appStatsDaily.appId, appId), gte(appStatsDaily.day, firstDay)));
  }

  async pruneVisitors(day: string): Promise<void> {
    await this.db.delete(appVisitors).where(lt(appVisitors.day, day));
  }
}

async function add(tx: Tx, appId: number, day: string, by: Partial<StatCounts>): Promise<void> {
  await tx
    .insert(appStatsDaily)
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
    });
}
