/** Screenshot rows on SQLite: the cap is counted and the row inserted in one transaction. */
import { and, asc, count, eq, max } from 'drizzle-orm';
import type { SqliteDb } from '../db/store-database.js';
import { appScreenshots } from '../db/store-schema.js';
import type { ScreenshotRepository } from './screenshot-repository.js';

export function sqliteScreenshots(db: SqliteDb): ScreenshotRepository {
  return {
    list: async (appId) =>
      db
        .select()
        .from(appScreenshots)
        .where(eq(appScreenshots.appId, appId))
        .orderBy(asc(appScreenshots.position), asc(appScreenshots.id))
        .all(),
    add: async (appId, row, cap) =>
      db.transaction((tx) => {
        const [held] = tx
          .select({ n: count(), last: max(appScreenshots.position) })
          .from(appScreenshots)
          .where(eq(appScreenshots.appId, appId))
          .all();
        if ((held?.n ?? 0) >= cap) return 'full' as const;
        return tx
          .insert(appScreenshots)
          .values({ ...row, appId, position: (held?.last ?? 0) + 1 })
          .returning()
          .get();
      }),
    remove: async (appId, id) =>
      db
        .delete(appScreenshots)
        .where(and(eq(appScreenshots.appId, appId), eq(appScreenshots.id, id)))
        .returning()
        .get(),
  };
}
