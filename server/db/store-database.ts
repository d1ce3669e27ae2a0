import { fileURLToPath } from 'node:url';
import type Database from 'better-sqlite3';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import type pg from 'pg';
import { pg as pgModule } from '../../registry/metadata/pg-module.js';
import type { Config } from '../../schemas/config.js';
import { ConfigError } from '../config.js';
import { openDatabase } from './open-database.js';
import { pgFailureReason } from './pg-failure.js';

/**
 * The seam between the store's modules and its two database engines (docs/decisions/0003).
 * A module's repository takes a `StoreDatabase` and picks its implementation by `dialect`; no
 * other code names an engine. SQLite stays synchronous underneath (better-sqlite3), so its
 * repository methods return already-settled promises and its transactions keep today's
 * atomicity; PostgreSQL goes through a `pg.Pool`, with the row locks that SQLite's single writer
 * gave for free taken explicitly in the repository.
 */
export type SqliteDb = BetterSQLite3Database;
export type PgDb = NodePgDatabase;

export interface SqliteStoreDatabase {
  readonly dialect: 'sqlite';
  readonly db: SqliteDb;
  readonly sqlite: Database.Database;
  /** Answers when the engine does (`/readyz`); throws with the engine's message otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface PgStoreDatabase {
  readonly dialect: 'postgres';
  readonly db: PgDb;
  readonly pool: pg.Pool;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export type StoreDatabase = SqliteStoreDatabase | PgStoreDatabase;

/** Committed PostgreSQL migrations; the build copies them beside the compiled module. */
const PG_MIGRATIONS = fileURLToPath(new URL('./migrations-pg', import.meta.url));

/** `<data>/appshelf.db`, migrated (open-database.ts). */
export function openSqliteStore(dataDir: string): SqliteStoreDatabase {
  const { sqlite, db } = openDatabase(dataDir);
  return {
    dialect: 'sqlite',
    db,
    sqlite,
    ping: async () => {
      sqlite.prepare('select 1').get();
    },
    close: () => {
      if (sqlite.open) sqlite.close();
      return Promise.resolve();
    },
  };
}

export interface PgOptions {
  /** Connections this process may hold (each is a PostgreSQL backend): default 10. */
  maxConnections?: number;
  /** A query running longer than this is cancelled by the server: default 30 s. */
  statementTimeoutMs?: number;
}

/** Any fixed number: the session-level advisory lock that orders concurrent migrators. */
const MIGRATION_LOCK = 0x61707073; // 'apps'

/**
 * A pool on `url`, migrated. drizzle's migrator reads the applied migrations and then runs the
 * missing ones in one transaction, with no lock between the two: several processes starting
 * together would each apply them. One connection holds an advisory lock for the whole run, so
 * the second process waits, then finds nothing left to do.
 */
export async function openPgStore(url: string, options: PgOptions = {}): Promise<PgStoreDatabase> {
  // drizzle's PostgreSQL side, like pg itself, is loaded only by a store on PostgreSQL (RSS).
  const { drizzle: drizzlePg } = await import('drizzle-orm/node-postgres');
  const { migrate: migratePg } = await import('drizzle-orm/node-postgres/migrator');
  const pool = new (pgModule().Pool)({
    connectionString: url,
    max: options.maxConnections ?? 10,
    statement_timeout: options.statementTimeoutMs ?? 30_000,
    // A server restart or a balancer that drops idle connections ends a pooled client: the pool
    // replaces it on the next checkout; without a listener the error would end the process.
    idleTimeoutMillis: 30_000,
  });
  pool.on('error', () => {});
  try {
    const client = await pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
      await migratePg(drizzlePg({ client }), { migrationsFolder: PG_MIGRATIONS });
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
      client.release();
    }
  } catch (err) {
    await pool.end();
    throw err;
  }
  const db = drizzlePg({ client: pool });
  return {
    dialect: 'postgres',
    db,
    pool,
    ping: async () => {
      await pool.query('select 1');
    },
    close: async () => {
      if (!pool.ended) await pool.end();
    },
  };
}

/**
 * The store's database as `database` in the config asks for it: PostgreSQL at `database.url`
 * (migrated, several processes may share it), else SQLite in <data>. A PostgreSQL server that
 * cannot be reached or refuses the login stops the start with its reason, naming where it
 * pointed but not the password (pg-failure.ts).
 */
export async function openStoreDatabase(
  database: Config['database'],
  dataDir: string,
): Promise<StoreDatabase> {
  if (database.url === undefined) return openSqliteStore(dataDir);
  try {
    return await openPgStore(database.url);
  } catch (err) {
    throw new ConfigError(`database.url: ${pgFailureReason(database.url, err)}`, { cause: err });
  }
}
