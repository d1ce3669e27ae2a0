/**
 * The store's app rows behind one async interface (docs/decisions/0003, package E): apps,
 * their versions with components, and their packages. `appRepositories(store)` is the module's
 * one choice of engine; app-sqlite.ts keeps the synchronous better-sqlite3 queries (its promises
 * are settled when returned, its transactions are today's), app-pg.ts runs the same queries on
 * PostgreSQL with the app row locked (`FOR UPDATE`) in every unit of work that reads and then
 * writes an app's versions or packages, which is what SQLite's single writer gave for free.
 */
import type { Digest } from '../../schemas/oci.js';
import type { StoreDatabase } from '../db/store-database.js';
import type { apps, components, packages, versions } from '../db/store-schema.js';
import type { AppContent } from './bundle-reader.js';
import { pgAppRepositories } from './app-pg.js';
import { sqliteAppRepositories } from './app-sqlite.js';

export interface AppRef {
  namespace: string;
  name: string;
}

export type AppRow = typeof apps.$inferSelect;
export type NewAppRow = typeof apps.$inferInsert;
export type AppChange = Partial<Omit<NewAppRow, 'id' | 'appKey' | 'namespace' | 'name'>>;
export type VersionRow = typeof versions.$inferSelect;
export type VersionChange = Partial<Omit<typeof versions.$inferInsert, 'id' | 'appId' | 'version'>>;
export type ComponentRow = Omit<typeof components.$inferSelect, 'versionId'>;
export type PackageRow = typeof packages.$inferSelect;

/** An app with its versions (in no order) and whether it is on the shelf (listed, a package). */
export interface AppWithVersions {
  app: AppRow;
  onShelf: boolean;
  versions: VersionRow[];
}

/** What the data migrations read of a version's app: not its texts. */
export type VersionAppRef = Pick<AppRow, 'id' | 'namespace' | 'name' | 'updatedAt'>;

export interface AppRepository {
  find(ref: AppRef): Promise<AppRow | undefined>;
  /** By the Rainstore API's appKeyID. */
  findByKey(appKey: string): Promise<AppRow | undefined>;
  /**
   * Every app with its versions, read as of one moment (one read transaction): the Rainstore
   * list decides what a caller sees from this.
   */
  withVersions(): Promise<AppWithVersions[]>;
  /** The namespace's apps in name order. */
  inNamespace(namespace: string): Promise<AppRow[]>;
  /** Every app's `namespace/name`. */
  refs(): Promise<AppRef[]>;
  /** The apps under an administrator's moderation, most recent first, at most `limit`. */
  moderated(limit: number): Promise<AppRow[]>;
  /** The new app, `no_namespace` when its namespace does not exist, `exists` when it does. */
  create(row: NewAppRow): Promise<AppRow | 'no_namespace' | 'exists'>;
  /** The app, created on first sight (a first push) with `row`'s columns. */
  ensure(row: NewAppRow): Promise<AppRow>;
  /** The changed row; undefined when the app is gone. */
  update(id: number, change: AppChange): Promise<AppRow | undefined>;
  /**
   * Deletes the app (versions, packages, statistics go with it by their foreign keys). `within`
   * runs in the same unit of work on SQLite (the registry's metadata shares its database); on
   * PostgreSQL after the commit, until the registry's repository takes a unit of work.
   */
  remove<T>(id: number, within: () => T): Promise<T>;
  /** Whether the app has a package (a listed app with one is on the shelf). */
  hasPackage(id: number): Promise<boolean>;
}

/** What the registry's tags must follow when a version's components change. */
export interface ComponentTagChange {
  /** The version's components before the change: their tags go. */
  dropped: string[];
  /** The new components with an image: their tags name it (bundles only). */
  set: { serviceKey: string; imageDigest: Digest }[];
}

export interface RebuiltTags {
  old: { version: string; serviceKey: string }[];
  set: { version: string; serviceKey: string; imageDigest: Digest }[];
}

export interface VersionUpsert {
  ref: AppRef;
  version: string;
  manifestDigest: Digest;
  content: AppContent;
  now: number;
  /** A key for the app when this push creates it. */
  newAppKey: string;
}

export interface VersionRepository {
  /** Every version of the app, in no order (the store's order is AppAccess.versionsOf). */
  list(appId: number): Promise<VersionRow[]>;
  get(appId: number, version: string): Promise<VersionRow | undefined>;
  /** The changed row; undefined when the version is gone. */
  update(id: number, change: VersionChange): Promise<VersionRow | undefined>;
  /** Every version of every app, with what a data migration needs of its app. */
  allWithApp(): Promise<{ version: VersionRow; app: VersionAppRef }[]>;
  /** Components in service-key order. */
  componentsOf(versionId: number): Promise<ComponentRow[]>;
  /** `(version, serviceKey)` of every component of every version of the app. */
  componentKeysOf(ref: AppRef): Promise<{ version: string; serviceKey: string }[]>;
  /**
   * Indexes `input` (creating the app on first sight) and replaces the version's components and
   * kept source credentials, in one unit of work that locks the app row on PostgreSQL, so two
   * pushes of one app are applied one after the other. `tags` is told what to change in the
   * registry: inside the transaction on SQLite, after the commit on PostgreSQL (see
   * AppRepository.remove). Returns the version's id.
   */
  upsert(input: VersionUpsert, tags: (change: ComponentTagChange) => void): Promise<number>;
  /**
   * Rebuilds the app's versions from `inputs` in one unit of work (the app row locked on
   * PostgreSQL): every version row goes, each input is indexed again as `upsert` does, then
   * given back `keep(old, input)` from the row of its version that went; the app's update time
   * stays. `tags` is told the components the old rows had and the component tags the inputs set.
   */
  rebuild(
    ref: AppRef,
    inputs: VersionUpsert[],
    keep: (old: VersionRow, input: VersionUpsert) => VersionChange,
    tags: (change: RebuiltTags) => void,
  ): Promise<void>;
  /**
   * Deletes the app's version (its components go with it), when it exists and, given a digest,
   * stands for that manifest; moves the app's update time. `removed` is told the dropped component keys
   * (same unit of work as `upsert`'s `tags`). False when nothing was removed.
   */
  remove(
    ref: AppRef,
    version: string,
    manifestDigest: Digest | undefined,
    now: number,
    removed: (serviceKeys: string[]) => void,
  ): Promise<boolean>;
}

export type NewPackageResult =
  | { kind: 'created'; row: PackageRow }
  | { kind: 'missing'; versions: string[] }
  | { kind: 'unready'; versions: string[] }
  | { kind: 'exists' };

export interface PackageRepository {
  /** In name order. */
  list(appId: number): Promise<PackageRow[]>;
  /**
   * A package covering `versions` (each must exist and be ready), one per name, checked and
   * inserted in one unit of work (the app row locked on PostgreSQL).
   */
  create(
    appId: number,
    input: { name: string; type: 'free'; versions: string[]; createdAt: number },
  ): Promise<NewPackageResult>;
  /** False when the app has no such package. */
  remove(appId: number, name: string): Promise<boolean>;
  /** Packages stop covering `version`; one left with no version is deleted. */
  dropVersion(appId: number, version: string): Promise<void>;
}

export interface AppRepositories {
  apps: AppRepository;
  versions: VersionRepository;
  packages: PackageRepository;
}

/** The rows of `withVersions` put together, on either engine. */
export function groupWithVersions(
  appRows: AppRow[],
  versionRows: VersionRow[],
  shelved: readonly number[],
): AppWithVersions[] {
  const byApp = new Map<number, VersionRow[]>();
  for (const v of versionRows) {
    const list = byApp.get(v.appId);
    if (list) list.push(v);
    else byApp.set(v.appId, [v]);
  }
  const withPackage = new Set(shelved);
  return appRows.map((app) => ({
    app,
    onShelf: app.listed && withPackage.has(app.id),
    versions: byApp.get(app.id) ?? [],
  }));
}

export function appRepositories(store: StoreDatabase): AppRepositories {
  switch (store.dialect) {
    case 'sqlite':
      return sqliteAppRepositories(store.db);
    case 'postgres':
      return pgAppRepositories(store.db);
  }
}
