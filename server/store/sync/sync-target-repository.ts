/**
 * The store rows an image sync job works on besides its own (docs/decisions/0003, package G):
 * the version being published, its app, its bound components and the source credentials kept
 * for them, and the version's state while it syncs. One interface, one implementation per
 * engine; `syncTargetRepository(store)` is the module's one choice of engine.
 */
import type { StoreDatabase } from '../../db/store-database.js';
import type { AppRow, VersionRow } from '../app-repository.js';
import type { KeptCredential } from '../kept-credentials.js';
import { PgSyncTargetRepository } from './sync-targets-pg.js';
import { SqliteSyncTargetRepository } from './sync-targets-sqlite.js';

export interface SyncTarget {
  app: AppRow;
  version: VersionRow;
}

export interface BoundComponent {
  serviceKey: string;
  sourceRef: string;
}

export interface SyncTargetRepository {
  /** The app `namespace/name` and its version, each undefined when absent. */
  find(
    namespace: string,
    name: string,
    version: string,
  ): Promise<{ app: AppRow | undefined; version: VersionRow | undefined }>;
  /** The version and its app; undefined when the version is gone. */
  byVersionId(versionId: number): Promise<SyncTarget | undefined>;
  /** The version's components, in service-key order. */
  components(versionId: number): Promise<BoundComponent[]>;
  setVersionState(versionId: number, state: 'syncing' | 'failed'): Promise<void>;
  /** Marks the version failed when it is still syncing (a newer push may have replaced it). */
  failSyncing(versionId: number): Promise<void>;
  keptCredential(versionId: number, serviceKey: string): Promise<KeptCredential | undefined>;
}

export function syncTargetRepository(store: StoreDatabase): SyncTargetRepository {
  switch (store.dialect) {
    case 'sqlite':
      return new SqliteSyncTargetRepository(store.db);
    case 'postgres':
      return new PgSyncTargetRepository(store.db);
  }
}
