/**
 * Data migrations: rewrites of stored content that a SQL migration cannot do (registry blobs and
 * manifests). Each runs once, at start, after the SQL migrations and before the server listens,
 * and is recorded in `data_migrations` when it completed. One that fails is logged and left
 * unrecorded, so the next start tries it again; each must therefore be idempotent (do nothing to
 * what it already rewrote).
 */
import { eq } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db } from './open-database.js';
import { dataMigrations } from './schema.js';

export interface DataMigration {
  /** Its record in data_migrations: never renamed once shipped. */
  readonly name: string;
  /** Does the work; resolves to what it changed (counts), throws when something is left undone. */
  run(): Promise<Record<string, number>>;
}

export async function runDataMigrations(
  deps: { db: Db; log: Logger; clock: () => number },
  migrations: readonly DataMigration[],
): Promise<void> {
  for (const migration of migrations) {
    const done = deps.db
      .select({ name: dataMigrations.name })
      .from(dataMigrations)
      .where(eq(dataMigrations.name, migration.name))
      .get();
    if (done) continue;
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
    deps.db
      .insert(dataMigrations)
      .values({ name: migration.name, appliedAt: deps.clock(), detail: JSON.stringify(detail) })
      .run();
    deps.log.info({ migration: migration.name, ...detail }, 'data migration applied');
  }
}
