/**
 * Where the registry's token signing key lives: in the store's database, so that a token one
 * process signs verifies on every other (issue 15 §3). Made once: every process offers a key,
 * `INSERT … ON CONFLICT DO NOTHING` keeps the first, and each reads back the one kept — two
 * processes starting together end with one key. The key is a secret: nothing here logs it, and
 * with `server.secretKey` set what is stored is the key sealed (token-service.ts).
 */
import { and, eq } from 'drizzle-orm';
import { tokenSigningKeys as sqliteKeys } from '../db/schema.js';
import { tokenSigningKeys as pgKeys } from '../db/schema.pg.js';
import type { StoreDatabase } from '../db/store-database.js';

/** The registry bearer tokens' key (one row per purpose leaves room for others). */
export const REGISTRY_TOKEN_KEY = 'registry-token';

export interface TokenKeyRepository {
  /** The PEM stored under `name`; `offered` (made only when needed) is stored when none is. */
  keep(name: string, offered: () => Promise<string>, at: number): Promise<string>;
  /** Stores `now` under `name` in place of `was` (unless another process replaced it first). */
  replace(name: string, was: string, now: string): Promise<void>;
}

export function tokenKeyRepository(store: StoreDatabase): TokenKeyRepository {
  switch (store.dialect) {
    case 'sqlite': {
      const { db } = store;
      const read = (name: string): string | undefined =>
        db
          .select({ pem: sqliteKeys.privateKey })
          .from(sqliteKeys)
          .where(eq(sqliteKeys.name, name))
          .get()?.pem;
      return {
        keep: async (name, offered, at) => {
          const found = read(name);
          if (found !== undefined) return found;
          const privateKey = await offered();
          db.insert(sqliteKeys)
            .values({ name, privateKey, createdAt: at })
            .onConflictDoNothing()
            .run();
          return read(name)!;
        },
        replace: async (name, was, now) => {
          db.update(sqliteKeys)
            .set({ privateKey: now })
            .where(and(eq(sqliteKeys.name, name), eq(sqliteKeys.privateKey, was)))
            .run();
        },
      };
    }
    case 'postgres': {
      const { db } = store;
      const read = async (name: string): Promise<string | undefined> => {
        const [row] = await db
          .select({ pem: pgKeys.privateKey })
          .from(pgKeys)
          .where(eq(pgKeys.name, name));
        return row?.pem;
      };
      return {
        keep: async (name, offered, at) => {
          const found = await read(name);
          if (found !== undefined) return found;
          const privateKey = await offered();
          await db.insert(pgKeys).values({ name, privateKey, createdAt: at }).onConflictDoNothing();
          return (await read(name))!;
        },
        replace: async (name, was, now) => {
          await db
            .update(pgKeys)
            .set({ privateKey: now })
            .where(and(eq(pgKeys.name, name), eq(pgKeys.privateKey, was)));
        },
      };
    }
  }
}
