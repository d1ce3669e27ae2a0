/** Rows the account and auth repository tests stand on, written the same way on both engines. */
import { sql } from 'drizzle-orm';
import type { StoreDatabase } from '../../server/db/store-database.js';

/** A user `name` with its own namespace; returns the user's id. */
export async function insertUser(
  store: StoreDatabase,
  name: string,
  phone?: string,
): Promise<number> {
  const user = sql`INSERT INTO users (name, phone, created_at) VALUES (${name}, ${phone ?? null}, 1) RETURNING id`;
  const id =
    store.dialect === 'sqlite'
      ? store.db.get<{ id: number }>(user).id
      : (await store.db.execute<{ id: number }>(user)).rows[0]!.id;
  const ns = sql`INSERT INTO namespaces (name, kind, created_at) VALUES (${name}, 'user', 1) RETURNING id`;
  const nsId =
    store.dialect === 'sqlite'
      ? store.db.get<{ id: number }>(ns).id
      : (await store.db.execute<{ id: number }>(ns)).rows[0]!.id;
  await run(
    store,
    sql`INSERT INTO namespace_members (namespace_id, user_id, role, created_at) VALUES (${nsId}, ${id}, 'owner', 1)`,
  );
  return id;
}

export async function run(store: StoreDatabase, statement: ReturnType<typeof sql>): Promise<void> {
  if (store.dialect === 'sqlite') store.db.run(statement);
  else await store.db.execute(statement);
}
