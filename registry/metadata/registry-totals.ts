import type { SqliteDb } from './sqlite.js';

/** What the registry holds right now. */
export interface RegistryTotals {
  repositories: number;
  manifests: number;
  blobs: number;
  /** Bytes of all stored blobs, each counted once however many repositories link it. */
  blobBytes: number;
  uploads: number;
  /** Bytes received so far by the upload sessions still open. */
  uploadBytes: number;
}

const TOTALS = `select
  (select count(*) from repositories) as repositories,
  (select count(*) from manifests) as manifests,
  (select count(*) from blobs) as blobs,
  (select coalesce(sum(size), 0) from blobs) as blobBytes,
  (select count(*) from uploads) as uploads,
  (select coalesce(sum(size), 0) from uploads) as uploadBytes`;

/**
 * Counts them (a scan of each table: meant for a scrape every few seconds, not for every
 * request). One statement, so the figures agree with one another.
 */
export function readTotals(db: SqliteDb): RegistryTotals {
  return db.prepare(TOTALS).get() as RegistryTotals;
}
