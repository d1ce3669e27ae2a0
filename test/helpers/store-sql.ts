/**
 * Plain SQL on the store's database, whichever engine it is (APPSHELF_TEST_DATABASE), for the
 * tests that set up or read rows no API reaches: drizzle's `sql` template binds the values on
 * both. Write SQL both engines read alike (no booleans as values: SQLite binds numbers only).
 */
import type { SQL } from 'drizzle-orm';
import type { StoreDatabase } from '../../server/db/store-database.js';

export async function sqlRows<T extends Record<string, unknown>>(
  store: StoreDatabase,
  query: SQL,
): Promise<T[]> {
  if (store.dialect === 'sqlite') return store.db.all<T>(query);
  return (await store.db.execute(query)).rows as T[];
}

export async function sqlRun(store: StoreDatabase, query: SQL): Promise<void> {
  if (store.dialect === 'sqlite') store.db.run(query);
  else await store.db.execute(query);
}
