/**
 * Where immutability rules are kept, and the one fact about versions they read (is this tag a
 * published version?): one interface, one implementation per engine (docs/decisions/0003).
 * Reads sit on manifest PUT and tag DELETE, write paths, so every method answers a promise.
 */
import type { StoreDatabase } from '../db/store-database.js';
import { PgImmutabilityRepository } from './immutability-pg.js';
import { SqliteImmutabilityRepository } from './immutability-sqlite.js';

export interface ImmutabilityRow {
  versions: boolean;
  /** JSON array of tag globs, as stored. */
  tagPatterns: string;
}

export interface ImmutabilityRepository {
  rulesOf(namespace: string): Promise<ImmutabilityRow | undefined>;
  /** Sets the namespace's rules; false when there is no such namespace. */
  setRules(namespace: string, rules: ImmutabilityRow, at: number): Promise<boolean>;
  /** The state of app `namespace/name`'s version `version`, undefined when it has none. */
  versionState(namespace: string, name: string, version: string): Promise<string | undefined>;
}

export function immutabilityRepository(store: StoreDatabase): ImmutabilityRepository {
  switch (store.dialect) {
    case 'sqlite':
      return new SqliteImmutabilityRepository(store.db);
    case 'postgres':
      return new PgImmutabilityRepository(store.db);
  }
}
