/**
 * What the registry records about its content, behind one interface with an implementation per
 * database engine (docs/decisions/0003): `sqlite-metadata.ts` (better-sqlite3, synchronous:
 * its reads return plain values, so the /v2 read path costs no extra promise) and
 * `pg-metadata.ts` (a `pg.Pool`). Reads may return a value or a promise (`await` takes both);
 * writes always return a promise.
 */
import type Database from 'better-sqlite3';
import type pg from 'pg';
import type { Digest } from '../../schemas/oci.js';
import type { StaleUpload } from '../uploads/blob-uploads.js';
import { PgRegistryMetadata } from './pg-metadata.js';
import type { RegistryTotals } from './registry-totals.js';
import { SqliteRegistryMetadata } from './sqlite-metadata.js';

export type MaybePromise<T> = T | Promise<T>;

export interface StoredManifest {
  digest: Digest;
  mediaType: string;
  size: number;
  content: Buffer;
}

export interface ManifestRow {
  repository: string;
  digest: Digest;
  mediaType: string;
  artifactType: string | null;
  subject: Digest | null;
  annotations: Record<string, string> | null;
  content: Buffer;
  refs: { child: Digest; kind: 'blob' | 'manifest' }[];
}

export interface ReferrerRow {
  digest: Digest;
  mediaType: string;
  size: number;
  artifactType: string | null;
  annotations: string | null;
}

export interface UploadRow {
  id: string;
  repository: string;
  size: number;
  createdAt: number;
  updatedAt: number;
}

/** What one GC sweep is to spare, decided by the collector (garbage-collector.ts). */
export interface SweepPlan {
  /** Rows created after this (ms) are young and kept, as is what they reach. */
  cutoff: number;
  /** Upload sessions untouched since this (ms) are stale. */
  uploadCutoff: number;
  /** `repository@digest` of manifests read or pushed within the grace period. */
  touched: string[];
  dryRun: boolean;
  /** Blobs the process is committing or has looked at recently. */
  keepBlob(digest: Digest): boolean;
  /** Upload sessions a request of this process is writing to. */
  keepUpload(id: string): boolean;
}

export interface Swept {
  deadManifests: { repository: string; digest: Digest }[];
  deadBlobs: { digest: Digest; size: number }[];
  staleUploads: StaleUpload[];
}

export interface UntaggedManifest {
  repository: string;
  digest: Digest;
  createdAt: number;
}

export interface RegistryMetadata {
  /**
   * Last time each manifest (`repository@digest`) was pushed or read, in this process. GC keeps
   * recent ones alive, as it keeps recently touched blobs: a re-push of an old untagged manifest,
   * or a HEAD that finds it, is followed by the PUT of an index that needs it.
   */
  readonly touchedManifests: Map<string, number>;
  ensureRepository(name: string): Promise<void>;
  repositoryExists(name: string): MaybePromise<boolean>;
  blobSize(digest: Digest): MaybePromise<number | undefined>;
  /** The size of a blob that `repository` may serve, or undefined. */
  repositoryBlobSize(repository: string, digest: Digest): MaybePromise<number | undefined>;
  /** Records a committed blob and links it into a repository, atomically. */
  addBlob(repository: string, digest: Digest, size: number): Promise<void>;
  /** Links an existing blob into another repository (cross-repository mount); false if none. */
  linkBlob(repository: string, digest: Digest): Promise<boolean>;
  unlinkBlob(repository: string, digest: Digest): Promise<boolean>;
  manifestByTag(repository: string, tag: string): MaybePromise<StoredManifest | undefined>;
  manifestByDigest(repository: string, digest: Digest): MaybePromise<StoredManifest | undefined>;
  tagDigest(repository: string, tag: string): MaybePromise<Digest | undefined>;
  tagsOf(repository: string, digest: Digest): MaybePromise<string[]>;
  /** Whether a manifest of the repository names `digest` (as a child, its config or a layer). */
  isReferenced(repository: string, digest: Digest): MaybePromise<boolean>;
  /**
   * Stores a manifest, its graph edges and its tag in one transaction. Returns the references
   * that are missing (nothing is written then). `partial`: store it whatever it references is
   * held (a pull-through cache holds manifests before the blobs they name are pulled).
   */
  putManifest(row: ManifestRow, tag?: string, partial?: boolean): Promise<{ missing: Digest[] }>;
  /** Deletes a manifest, its edges and every tag pointing at it. */
  deleteManifest(repository: string, digest: Digest): Promise<{ deleted: boolean; tags: string[] }>;
  deleteTag(repository: string, tag: string): Promise<Digest | undefined>;
  listTags(repository: string, last: string, limit: number): MaybePromise<string[]>;
  listRepositories(last: string, limit: number): MaybePromise<string[]>;
  referrers(repository: string, subject: Digest): MaybePromise<ReferrerRow[]>;
  /**
   * `owner`: who opened it through /v2 ('' for the store's own uploads, never capped). Undefined
   * (and nothing written) when `owner` already has `maxOpen` sessions: counted and inserted in
   * one transaction, so concurrent starts cannot both take the last slot.
   */
  createUpload(
    id: string,
    repository: string,
    owner?: string,
    maxOpen?: number,
  ): Promise<UploadRow | undefined>;
  /** Upload sessions `owner` has open. */
  openUploadsOf(owner: string): MaybePromise<number>;
  upload(id: string): MaybePromise<UploadRow | undefined>;
  setUploadSize(id: string, size: number): Promise<void>;
  /** The staging state of an upload (JSON, for drivers that stage in storage), or undefined. */
  uploadState(id: string): MaybePromise<string | undefined>;
  /**
   * Moves an upload from `from` bytes to `size` with its new staging state. False when another
   * writer moved it first (the row's size is no longer `from`) or it is gone.
   */
  advanceUpload(id: string, from: number, size: number, state: string): Promise<boolean>;
  deleteUpload(id: string): Promise<void>;
  /** Points a tag at an existing manifest without a push (tags the store keeps for its apps). */
  setTag(repository: string, tag: string, digest: Digest): Promise<void>;
  /** Every (tag, digest) of a repository, for rebuilding indexes. */
  allTags(repository: string): MaybePromise<{ name: string; digest: Digest }[]>;
  /** What the registry holds right now (a scan of each table: for scrapes, not requests). */
  totals(): MaybePromise<RegistryTotals>;
  /**
   * GC's mark and sweep of rows as one transaction that no push interleaves with: a manifest PUT
   * either committed before (its blobs are marked) or runs after (and finds a swept blob missing).
   * On a dry run nothing is deleted.
   */
  sweep(plan: SweepPlan): Promise<Swept>;
  /**
   * Manifests of the repositories under `prefix` that nothing keeps (no tag, not inside a tagged
   * index, no referrer of one) and older than `before` (ms): what GC would sweep with that age.
   */
  untaggedManifests(prefix: string, before: number): Promise<UntaggedManifest[]>;
}

/** The registry's database: the store's (server/db/store-database.ts satisfies it). */
export type RegistryDatabase =
  | { readonly dialect: 'sqlite'; readonly sqlite: Database.Database }
  | { readonly dialect: 'postgres'; readonly pool: pg.Pool };

export function createRegistryMetadata(
  database: RegistryDatabase,
  now: () => number = Date.now,
): RegistryMetadata {
  return database.dialect === 'sqlite'
    ? new SqliteRegistryMetadata(database.sqlite, now)
    : new PgRegistryMetadata(database.pool, now);
}
