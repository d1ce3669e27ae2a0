/**
 * A whole test server over a chosen engine, for the search tests that run on both
 * (docs/decisions/0003): SQLite in the data folder, or a database of the run's PostgreSQL,
 * whatever APPSHELF_TEST_DATABASE says (each suite names its engine, and both run in every run).
 * Apps are written straight into the store's tables; the search index follows them through the
 * triggers, which is what these tests check.
 */
import { randomUUID } from 'node:crypto';
import type { SQL } from 'drizzle-orm';
import type { DialectName } from '../helpers/dialects.js';
import { dropPgDatabase, pgDatabaseUrl } from '../helpers/dialects.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { sqlRun } from '../helpers/store-sql.js';
import { insertStoreApp, insertStoreUser, type AppFixture } from './search-fixtures.js';

export interface SearchServer {
  url: string;
  /** The whole server, for what a test needs beyond the search (its store, its registry). */
  test: TestServer;
  insert(f: AppFixture): Promise<number>;
  insertUser(name: string, displayName: string): Promise<void>;
  /** A statement written for both engines (`listed = false`, not `listed = 0`). */
  run(statement: SQL): Promise<void>;
  close(): Promise<void>;
}

/** `clock`: the server's time, for tests that move it on. */
export async function startSearchServer(
  dialect: DialectName,
  options: { clock?: () => number } = {},
): Promise<SearchServer> {
  // The database named outright: SQLite (no url) even in the PostgreSQL run, or a database of
  // the run's PostgreSQL even in the SQLite run.
  const pgName = `search_${randomUUID().replaceAll('-', '')}`;
  const database = dialect === 'sqlite' ? {} : { url: await pgDatabaseUrl(pgName) };
  const srv = await startTestServer({ database }, options);
  const { store } = srv.app;
  return {
    url: srv.url,
    test: srv,
    insert: (f) => insertStoreApp(store, f),
    insertUser: (name, displayName) => insertStoreUser(store, name, displayName),
    run: (statement) => sqlRun(store, statement),
    close: async () => {
      await srv.close();
      if (dialect === 'postgres') await dropPgDatabase(pgName);
    },
  };
}
