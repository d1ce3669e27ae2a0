/**
 * The record of applied data migrations (`data_migrations`, see data-migrations.ts) on either
 * engine; `dataMigrationRepository(store)` is the module's one choice (docs/decisions/0003).
 */
import { eq } from 'drizzle-orm';
import { dataMigrations as pgDataMigrations } from './schema.pg.js';
import { dataMigrations } from './schema.js';
import type { StoreDatabase } from './store-database.js';

/** Any fixed number: the session-level advisory lock that orders processes running them. */
const DATA_MIGRATION_LOCK = 0x64617461; // 'data'

export interface DataMigrationRepository {
  /**
   * Runs `fn` while no other process runs data migrations on this database: on PostgreSQL under
   * a session advisory lock held on a connection of its own (the migrations' queries use the
   * pool's others), so processes starting together run each migration once, one after another.
   * SQLite's database belongs to one process.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
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
        exclusive: (fn) => fn(),
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
      const { db, pool } = store;
      return {
        async exclusive(fn) {
          const client = await pool.connect();
          try {
            await client.query('SELECT pg_advisory_lock($1)', [DATA_MIGRATION_LOCK]);
            return await fn();
          } finally {
            await client
              .query('SELECT pg_advisory_unlock($1)', [DATA_MIGRATION_LOCK])
              .catch(() => {});
            client.release();
          }
        },
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
