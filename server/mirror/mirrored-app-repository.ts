/**
 * The rows the mirror writes on the local side of a mirrored app: the app's mirror mark, its
 * versions' upstream marks and its listing (texts, logo, packages). One interface, one
 * implementation per engine (docs/decisions/0003). Only the mirror writes these columns, and one
 * process runs an upstream at a time (mirror-state-repository.ts); the listing's
 * read-then-write of packages still locks the app row on PostgreSQL, as SQLite's single writer
 * ordered it against the store's own package changes.
 */
import type { StoreDatabase } from '../db/store-database.js';
import type { AppChange, AppRow, PackageRow } from '../store/app-repository.js';
import { PgMirroredAppRepository } from './mirrored-apps-pg.js';
import { SqliteMirroredAppRepository } from './mirrored-apps-sqlite.js';

/** The listing columns the mirror copies from the upstream. */
export type ListingFields = Required<
  Pick<
    AppChange,
    | 'displayName'
    | 'summary'
    | 'introduction'
    | 'tags'
    | 'categories'
    | 'sourceUrl'
    | 'homeUrl'
    | 'publishType'
    | 'listed'
    | 'logoKey'
    | 'logoType'
  >
>;

/** A package as the upstream lists it, cut to the versions held here. */
export interface WantedPackage {
  name: string;
  type: PackageRow['type'];
  versions: string[];
}

export interface MirroredAppRepository {
  /** The admin user's id (the owner of namespaces the mirror creates). */
  adminId(): Promise<number | undefined>;
  /** The app marked as `upstream`'s (at `url`); undefined when the app is gone. */
  markMirrored(
    appId: number,
    upstream: string,
    url: string,
    updatedAt: number,
  ): Promise<AppRow | undefined>;
  /** Apps of upstreams not in `configured` lose their mark; their `namespace/name`. */
  release(configured: readonly string[]): Promise<string[]>;
  /**
   * In one unit of work: the app's versions in `present` lose their deleted-upstream mark, the
   * others get one at `now` unless `prune` (they are about to be removed). The others' names.
   */
  reconcile(
    appId: number,
    present: readonly string[],
    now: number,
    prune: boolean,
  ): Promise<string[]>;
  /** The app's ready versions. */
  readyVersions(appId: number): Promise<string[]>;
  packagesOf(appId: number): Promise<PackageRow[]>;
  /** The listing written and the packages made `wanted` (others dropped), in one unit of work. */
  writeListing(
    appId: number,
    fields: ListingFields,
    wanted: readonly WantedPackage[],
    now: number,
  ): Promise<void>;
}

export function mirroredAppRepository(store: StoreDatabase): MirroredAppRepository {
  switch (store.dialect) {
    case 'sqlite':
      return new SqliteMirroredAppRepository(store.db);
    case 'postgres':
      return new PgMirroredAppRepository(store.db);
  }
}
