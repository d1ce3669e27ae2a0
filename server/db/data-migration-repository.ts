/**
 * The record of applied data migrations (`data_migrations`, see data-migrations.ts) on either
 * engine; `dataMigrationRepository(store)` is the module's one choice (docs/decisions/0003).
 */
import { eq } from 'drizzle-orm';
import { dataMigrations as pgDataMigrations } from './schema.pg.js';
import { dataMigrations } from './schema.js';
import type { StoreDatabase } from './store-database.js';

export interface DataMigrationRepository {
  applied(name: string): Promise<boolean>;
  /**
   * Records `name` as applied with what it changed. Idempotent: two processes that both ran an
   * (idempotent) migration at one start record it once.
   */
  record(name: string, appliedAt: number, detail: Record<string, number>): Promise<void>;
}

export function dataMigrationRepository(store: StoreDatabase): DataMigrationRepository {
  switch (store.dialect) {
    case 'sqlite': {
      const { db } = store;
      return {
        applied: async (name) =>
          !!db
            .select({ name: dataMigrations.name })
            .from(dataMigrations)
            .where(eq(dataMigrations.name, name))
            .get(),
        record: async (name, appliedAt, detail) => {
          db.insert(dataMigrations)
            .values({ name, appliedAt, detail: JSON.stringify(detail) })
            .onConflictDoNothing()
            .run();
        },
      };
    }
    case 'postgres': {
      const { db } = store;
      return {
        async applied(name) {
          const rows = await db
            .select({ name: pgDataMigrations.name })
            .from(pgDataMigrations)
            .where(eq(pgDataMigrations.name, name));
          return rows.length > 0;
        },
        async record(name, appliedAt, detail) {
          await db
            .insert(pgDataMigrations)
            .values({ name, appliedAt, detail: JSON.stringify(detail) })
            .onConflictDoNothing();
        },
      };
    }
  }
}
