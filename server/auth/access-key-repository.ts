import type { StoreDatabase } from '../db/store-database.js';
import type { accessKeys } from '../db/schema.js';
import type { UserRow } from '../accounts/users.js';
import { pgAccessKeys } from './access-keys-pg.js';
import { sqliteAccessKeys } from './access-keys-sqlite.js';

export type AccessKeyRow = typeof accessKeys.$inferSelect;
export type NewAccessKey = Omit<AccessKeyRow, 'id' | 'lastUsedAt' | 'revokedAt'>;

/** Access keys in the database: each method one statement, so no unit of work needs a lock. */
export interface AccessKeyRepository {
  /**
   * Stores `key`; with `maxLive`, only while its user has fewer unrevoked keys (undefined when
   * not), counted and written in one unit of work: on PostgreSQL under a lock on the user's row.
   */
  create(key: NewAccessKey, maxLive?: number): Promise<number | undefined>;
  /** The unrevoked keys whose lookup prefix is `prefix`, with their users. */
  byPrefix(prefix: string): Promise<{ key: AccessKeyRow; user: UserRow }[]>;
  /** The name of the owner of a key (revoked or not) with lookup prefix `prefix`. */
  ownerNameByPrefix(prefix: string): Promise<string | undefined>;
  touchLastUsed(id: number, at: number): Promise<void>;
  setSecret(id: number, prefix: string, secretHash: string): Promise<void>;
  /** `userId`'s unrevoked keys, oldest first. */
  list(userId: number): Promise<AccessKeyRow[]>;
  /** `userId`'s unrevoked key called `name`. */
  liveNamed(userId: number, name: string): Promise<AccessKeyRow | undefined>;
  get(id: number): Promise<AccessKeyRow | undefined>;
  /** False when the key is unknown or already revoked. */
  revoke(id: number, at: number): Promise<boolean>;
}

export function accessKeyRepository(store: StoreDatabase): AccessKeyRepository {
  switch (store.dialect) {
    case 'sqlite':
      return sqliteAccessKeys(store.db);
    case 'postgres':
      return pgAccessKeys(store.db);
  }
}
