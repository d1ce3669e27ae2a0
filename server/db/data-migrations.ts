/**
 * Data migrations: rewrites of stored content that a SQL migration cannot do (registry blobs and
 * manifests). Each runs once, at start, after the SQL migrations and before the server listens,
 * and is recorded in `data_migrations` when it completed. One that fails is logged and left
 * unrecorded, so the next start tries it again; each must therefore be idempotent (do nothing to
 * what it already rewrote).
 */
import type { Logger } from 'pino';
import { dataMigrationRepository } from './data-migration-repository.js';
import type { StoreDatabase } from './store-database.js';

export interface DataMigration {
  /** Its record in data_migrations: never renamed once shipped. */
  readonly name: string;
  /** Does the work; resolves to what it changed (counts), throws when something is left undone. */
  run(): Promise<Record<string, number>>;
}

export async function runDataMigrations(
  deps: { store: StoreDatabase; log: Logger; clock: () => number },
  migrations: readonly DataMigration[],
): Promise<void> {
  const record = dataMigrationRepository(deps.store);
  // Each process re-reads what is applied once it holds the lock: a migration another process
  // finished meanwhile is skipped.
  await record.exclusive(async () => {
    for (const migration of migrations) {
      if (await record.applied(migration.name)) continue;
      let detail: Record<string, number>;
      try {
        detail = await migration.run();
      } catch (err) {
        deps.log.error(
          { err, migration: migration.name },
          'data migration failed; the next start tries it again',
        );
        continue;
      }
      await record.record(migration.name, deps.clock(), detail);
      deps.log.info({ migration: migration.name, ...detail }, 'data migration applied');
    }
  });
}
