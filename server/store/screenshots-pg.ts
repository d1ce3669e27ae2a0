/**
 * Screenshot rows on PostgreSQL: the app row is locked while the cap is counted and the row
 * inserted, which is what SQLite's single writer gives for free.
 */
import { and, asc, count, eq, max } from 'drizzle-orm';
import type { PgDb } from '../db/store-database.js';
import { appScreenshots, apps } from '../db/store-schema.pg.js';
import type { ScreenshotRepository } from './screenshot-repository.js';

export function pgScreenshots(db: PgDb): ScreenshotRepository {
  return {
    list: (appId) =>
      db
        .select()
        .from(appScreenshots)
        .where(eq(appScreenshots.appId, appId))
        .orderBy(asc(appScreenshots.position), asc(appScreenshots.id)),
    add: (appId, row, cap) =>
      db.transaction(async (tx) => {
        await tx.select({ id: apps.id }).from(apps).where(eq(apps.id, appId)).for('update');
        const [held] = await tx
          .select({ n: count(), last: max(appScreenshots.position) })
          .from(appScreenshots)
          .where(eq(appScreenshots.appId, appId));
        if ((held?.n ?? 0) >= cap) return 'full' as const;
        const [added] = await tx
          .insert(appScreenshots)
          .values({ ...row, appId, position: (held?.last ?? 0) + 1 })
          .returning();
        return added!;
      }),
    remove: async (appId, id) => {
      const [removed] = await db
        .delete(appScreenshots)
        .where(and(eq(appScreenshots.appId, appId), eq(appScreenshots.id, id)))
        .returning();
      return removed;
    },
  };
}
