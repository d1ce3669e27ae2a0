/**
 * Runs a suite once per database engine (docs/decisions/0003): SQLite in a temp folder, and
 * PostgreSQL on one real server shared by every suite of the mocha process (started on first
 * use; `startPostgres` stops it when the process exits). Each `open()` is a fresh, migrated
 * database: on PostgreSQL a copy of a template database migrated once, which takes milliseconds
 * where migrating anew would take a second.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  openPgStore,
  openSqliteStore,
  type PgStoreDatabase,
  type StoreDatabase,
} from '../../server/db/store-database.js';
import { postgresAvailable, startPostgres, type PostgresServer } from './postgres.js';

export type DialectName = StoreDatabase['dialect'];

export interface DialectContext {
  readonly dialect: DialectName;
  /** A fresh, migrated database; closed (and its files deleted) after the current test. */
  open(): Promise<StoreDatabase>;
}

const TEMPLATE = 'appshelf_template';
let shared: Promise<PostgresServer> | undefined;
let copies = 0;

/** The process's PostgreSQL, its template database migrated by the store's own migrator. */
async function postgres(): Promise<PostgresServer> {
  shared ??= (async () => {
    const server = await startPostgres();
    await server.psql(`CREATE DATABASE ${TEMPLATE}`);
    const store = await openPgStore(server.url.replace(/\/[^/]+$/, `/${TEMPLATE}`));
    await store.close();
    return server;
  })();
  return shared;
}

/**
 * A fresh, migrated PostgreSQL database of the shared server, for a suite that keeps one
 * database across its tests (`drop` closes and deletes it).
 */
export async function openPgCopy(): Promise<{ store: PgStoreDatabase; drop(): Promise<void> }> {
  const server = await postgres();
  const name = `t${process.pid}_${++copies}`;
  await server.psql(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE}`);
  const store = await openPgStore(server.url.replace(/\/[^/]+$/, `/${name}`));
  return {
    store,
    drop: async () => {
      await store.close();
      await server.psql(`DROP DATABASE ${name}`);
    },
  };
}

/**
 * The URL of the shared server's database `name`, created from the migrated template when it
 * does not exist yet: a test store restarted on the same data folder finds its rows again.
 */
export async function pgDatabaseUrl(name: string): Promise<string> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
  const server = await postgres();
  const exists = await server.psql(`SELECT 1 FROM pg_database WHERE datname = '${name}'`);
  if (!exists.stdout.trim()) await server.psql(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE}`);
  return server.url.replace(/\/[^/]+$/, `/${name}`);
}

/**
 * The URL of a new, empty database `name` of the shared server (not a copy of the migrated
 * template), for a test that migrates it part of the way itself: a store made by an older build.
 */
export async function emptyPgDatabaseUrl(name: string): Promise<string> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
  const server = await postgres();
  await server.psql(`CREATE DATABASE ${name}`);
  return server.url.replace(/\/[^/]+$/, `/${name}`);
}

/** Drops the shared server's database `name` (its connections must be closed). */
export async function dropPgDatabase(name: string): Promise<void> {
  const server = await postgres();
  await server.psql(`DROP DATABASE IF EXISTS ${name}`);
}

export function describeDialects(title: string, body: (ctx: DialectContext) => void): void {
  for (const dialect of ['sqlite', 'postgres'] as const) {
    describe(`${title} [${dialect}]`, function () {
      this.timeout(60_000);
      const opened: (() => Promise<void>)[] = [];

      before(async function () {
        if (dialect === 'postgres') {
          if (!postgresAvailable()) this.skip();
          await postgres();
        }
      });

      afterEach(async () => {
        for (const cleanup of opened.splice(0).reverse()) await cleanup();
      });

      body({
        dialect,
        async open() {
          if (dialect === 'sqlite') {
            const dir = await mkdtemp(join(tmpdir(), 'appshelf-db-'));
            const store = openSqliteStore(dir);
            opened.push(async () => {
              await store.close();
              await rm(dir, { recursive: true, force: true });
            });
            return store;
          }
          const { store, drop } = await openPgCopy();
          opened.push(drop);
          return store;
        },
      });
    });
  }
}
