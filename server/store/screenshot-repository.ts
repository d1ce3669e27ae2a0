/**
 * An app's screenshots (rows; the images are in blob storage under their `storageKey`).
 * `screenshotRepository(store)` is the module's one choice of engine.
 */
import type { StoreDatabase } from '../db/store-database.js';
import type { appScreenshots } from '../db/store-schema.js';
import { pgScreenshots } from './screenshots-pg.js';
import { sqliteScreenshots } from './screenshots-sqlite.js';

export type ScreenshotRow = typeof appScreenshots.$inferSelect;
export type NewScreenshot = Omit<typeof appScreenshots.$inferInsert, 'id' | 'position' | 'appId'>;

export interface ScreenshotRepository {
  /** In `position` order. */
  list(appId: number): Promise<ScreenshotRow[]>;
  /**
   * Adds `row` last, unless the app has `max` already (`full`): counted and inserted in one unit
   * of work (the app row locked on PostgreSQL), so two uploads at once cannot pass the cap.
   */
  add(appId: number, row: NewScreenshot, max: number): Promise<ScreenshotRow | 'full'>;
  /** The removed row (its image is the caller's to delete), or undefined when there is none. */
  remove(appId: number, id: number): Promise<ScreenshotRow | undefined>;
}

export function screenshotRepository(store: StoreDatabase): ScreenshotRepository {
  switch (store.dialect) {
    case 'sqlite':
      return sqliteScreenshots(store.db);
    case 'postgres':
      return pgScreenshots(store.db);
  }
}
