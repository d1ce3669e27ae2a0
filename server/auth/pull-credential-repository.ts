import type { StoreDatabase } from '../db/store-database.js';
import type { pullCredentials } from '../db/store-schema.js';
import type { UserRow } from '../accounts/users.js';
import type { AccessKeyRow } from './access-key-repository.js';
import { pgPullCredentials } from './pull-credentials-pg.js';
import { sqlitePullCredentials } from './pull-credentials-sqlite.js';

export type PullCredentialRow = typeof pullCredentials.$inferSelect;
export type NewPullCredential = Omit<PullCredentialRow, 'id'>;

export interface PullCredentialCandidate {
  credential: PullCredentialRow;
  key: AccessKeyRow;
  user: UserRow;
  appKey: string;
}

export interface PullCredentialRepository {
  /**
   * One unit of work: drops expired credentials, keeps at most `livePerKeyAndApp - 1` of the
   * key's live ones for the app (the oldest go), moves their expiry to the new one's, and stores
   * it. On PostgreSQL it locks the access key's row, so concurrent fetches with one key cannot
   * together pass the cap.
   */
  issue(credential: NewPullCredential, livePerKeyAndApp: number): Promise<void>;
  /** The credentials whose lookup prefix is `prefix`, with their key, user and app key. */
  byPrefix(prefix: string): Promise<PullCredentialCandidate[]>;
}

/** How many of `live` (oldest first) go so that one more stays within `cap`. */
export function overCap<T>(live: T[], cap: number): T[] {
  return live.slice(0, Math.max(0, live.length + 1 - cap));
}

export function pullCredentialRepository(store: StoreDatabase): PullCredentialRepository {
  switch (store.dialect) {
    case 'sqlite':
      return sqlitePullCredentials(store.db);
    case 'postgres':
      return pgPullCredentials(store.db);
  }
}
