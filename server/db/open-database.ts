import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';

export type Db = BetterSQLite3Database;

/** Committed SQL migrations; the build copies them beside the compiled module. */
const MIGRATIONS = fileURLToPath(new URL('./migrations', import.meta.url));

/** Opens (creating if needed) `<data>/appshelf.db` and applies pending migrations. */
export function openDatabase(dataDir: string): { sqlite: Database.Database; db: Db } {
  mkdirSync(dataDir, { recursive: true });
  const sqlite = new Database(join(dataDir, 'appshelf.db'));
  // WAL: readers never wait for the writer. NORMAL: durable at checkpoints, never corrupt.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const db = drizzle({ client: sqlite });
  migrate(db, { migrationsFolder: MIGRATIONS });
  return { sqlite, db };
}
