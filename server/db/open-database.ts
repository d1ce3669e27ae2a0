import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import type { Config } from '../../schemas/config.js';
import { ConfigError } from '../config.js';

export type Db = BetterSQLite3Database;

/** Committed SQL migrations; the build copies them beside the compiled module. */
const MIGRATIONS = fileURLToPath(new URL('./migrations', import.meta.url));

/**
 * The store's database as `database` in the config asks for it. Only SQLite in <data> can serve
 * the store yet: a PostgreSQL URL is refused, never quietly replaced by SQLite (several processes
 * would each write a database of their own). The message leaves the URL out: it holds a password.
 */
export function openStoreDatabase(
  database: Config['database'],
  dataDir: string,
): { sqlite: Database.Database; db: Db } {
  if (database.url !== undefined)
    throw new ConfigError(
      'database.url: PostgreSQL is not supported by this build yet: the data-access layer is ' +
        'SQLite-only (the PostgreSQL schema and migrations exist, the queries on them do not). ' +
        'Remove database.url (or APPSHELF_DATABASE_URL) to keep the data in SQLite under <data>.',
    );
  return openDatabase(dataDir);
}

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
