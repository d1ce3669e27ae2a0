/**
 * The source registry credentials a draft's template named for its components
 * (schemas/source-credentials.ts), kept in `source_credentials` for the image sync and nothing
 * else: the template is stored with them blanked. VersionRepository.upsert drops a version's rows
 * whenever a new template or bundle lands under it, so publishing (the bundle) ends them.
 * `sourceCredentialRepository(store)` is the module's one choice of engine (docs/decisions/0003).
 */
import type { SourceCredential } from '../../schemas/source-credentials.js';
import type { StoreDatabase } from '../db/store-database.js';
import { pgSourceCredentials } from './source-credentials-pg.js';
import { sqliteSourceCredentials } from './source-credentials-sqlite.js';

export interface KeptCredential {
  /** The registry they are for, as the template's `hub_url` names it ('' for any). */
  hubUrl: string;
  username: string;
  password: string;
}

export interface SourceCredentialRepository {
  /**
   * Keeps the component credentials of `found` (those naming a user) for the version, replacing
   * what it had, in one unit of work.
   */
  keep(versionId: number, found: readonly SourceCredential[], now: number): Promise<void>;
  forComponent(versionId: number, serviceKey: string): Promise<KeptCredential | undefined>;
}

export interface KeptRow extends KeptCredential {
  versionId: number;
  serviceKey: string;
  createdAt: number;
}

/**
 * The rows `keep` writes: component credentials naming a user, the first one per service key
 * (as the primary key kept the first insert before).
 */
export function keptRows(
  versionId: number,
  found: readonly SourceCredential[],
  now: number,
): KeptRow[] {
  const rows = new Map<string, KeptRow>();
  for (const c of found) {
    if (c.kind !== 'component' || c.user === '' || rows.has(c.key)) continue;
    rows.set(c.key, {
      versionId,
      serviceKey: c.key,
      hubUrl: c.hubUrl,
      username: c.user,
      password: c.password,
      createdAt: now,
    });
  }
  return [...rows.values()];
}

export function sourceCredentialRepository(store: StoreDatabase): SourceCredentialRepository {
  switch (store.dialect) {
    case 'sqlite':
      return sqliteSourceCredentials(store.db);
    case 'postgres':
      return pgSourceCredentials(store.db);
  }
}
