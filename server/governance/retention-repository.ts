/**
 * What retention reads and writes: its rules, and the apps, versions and packages a plan judges.
 * One interface, one implementation per engine (docs/decisions/0003). A real run removes through
 * the registry and may take minutes; `exclusive` makes runs take turns: in the process on SQLite,
 * cluster-wide on PostgreSQL (a session advisory lock held for the run).
 */
import type { RetentionRules } from '../../schemas/governance.js';
import type { StoreDatabase } from '../db/store-database.js';
import { PgRetentionRepository } from './retention-pg.js';
import { SqliteRetentionRepository } from './retention-sqlite.js';

export interface RetainedApp {
  id: number;
  namespace: string;
  name: string;
  listed: boolean;
}

export interface RetainedVersion {
  id: number;
  version: string;
  state: string;
  manifestDigest: string;
  createdAt: number;
  updatedAt: number;
  lastUsedAt: number | null;
}

export interface RetentionRepository {
  /** The rules set on `namespace` (`app` ''), or on one app of it; undefined when none. */
  rulesOf(namespace: string, app: string): Promise<RetentionRules | undefined>;
  setRules(namespace: string, app: string, rules: RetentionRules, at: number): Promise<void>;
  /** Namespaces with any rule, in name order. */
  governedNamespaces(): Promise<string[]>;
  /** The namespace's apps (or the one named), by name. */
  appsOf(namespace: string, app?: string): Promise<RetainedApp[]>;
  versionsOf(appId: number): Promise<RetainedVersion[]>;
  /** The app's packages by name, with their versions as stored (a JSON array). */
  packagesOf(appId: number): Promise<{ name: string; versions: string }[]>;
  appExists(namespace: string, name: string): Promise<boolean>;
  /** Runs `work` when no other run does (see above). */
  exclusive<T>(work: () => Promise<T>): Promise<T>;
}

export function retentionRepository(store: StoreDatabase): RetentionRepository {
  switch (store.dialect) {
    case 'sqlite':
      return new SqliteRetentionRepository(store.db);
    case 'postgres':
      return new PgRetentionRepository(store);
  }
}
