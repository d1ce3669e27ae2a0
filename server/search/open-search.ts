/** The search repository of the store's engine: the one place search names a dialect. */
import type { Logger } from 'pino';
import type { StoreDatabase } from '../db/store-database.js';
import { PgSearchRepository } from './search-pg.js';
import type { SearchRepository } from './search-repository.js';
import { SqliteSearchRepository } from './search-sqlite.js';

export interface SearchRepositoryOptions {
  /** SQLite: read term hits on a worker thread (default true). */
  worker?: boolean;
  log?: Logger;
}

export function searchRepository(
  store: StoreDatabase,
  options: SearchRepositoryOptions = {},
): SearchRepository {
  switch (store.dialect) {
    case 'sqlite':
      return new SqliteSearchRepository(store.sqlite, options);
    case 'postgres':
      return new PgSearchRepository(store.pool);
  }
}
