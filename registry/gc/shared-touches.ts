/**
 * GC's "recently touched" across the processes of a store (issue 15 §2). Each process records in
 * memory when it last pushed or looked at a blob or a manifest (blob-store.ts `touched`, the
 * metadata's `touchedManifests`); on PostgreSQL it also writes what changed to `registry_touches`
 * every `flushMs`, in one statement. A GC first waits one flush interval, so every process has
 * written what it touched before the GC began, then spares what the table names as well as its
 * own. So a blob HEAD-ed on one process is not swept by a GC on another before that process's
 * manifest PUT; a touch during the sweep itself is what the sweep's lock settles (pg-metadata.ts).
 */
import type { Logger } from 'pino';
import type pg from 'pg';
import type { RegistryMetadata } from '../metadata/registry-metadata.js';
import type { BlobStore } from '../storage/blob-store.js';

export interface SharedTouches {
  /** What any process touched after `cutoff` (ms), once what they touched until now is written. */
  recent(cutoff: number): Promise<{ blobs: ReadonlySet<string>; manifests: string[] }>;
  /** Deletes the records at or before `before`. */
  forget(before: number): Promise<void>;
  /** Writes what is left and stops the timer. */
  close(): Promise<void>;
}

const BATCH = 5_000;
const UPSERT = `INSERT INTO registry_touches (kind, key, at)
  SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])
  ON CONFLICT (kind, key) DO UPDATE SET at = GREATEST(registry_touches.at, excluded.at)`;
const RECENT = `SELECT kind, key FROM registry_touches WHERE at > $1`;
const FORGET = `DELETE FROM registry_touches WHERE at <= $1`;

export function pgSharedTouches(deps: {
  pool: pg.Pool;
  blobs: BlobStore;
  meta: RegistryMetadata;
  log: Logger;
  flushMs?: number;
}): SharedTouches {
  const { pool, blobs, meta, log } = deps;
  const flushMs = deps.flushMs ?? 1_000;
  /** Touches at or after this were not written yet (a touch in the same ms is written twice). */
  let since = 0;
  let flushing: Promise<void> | undefined;

  const write = async (): Promise<void> => {
    const from = since;
    const rows: [string, string, number][] = [];
    let latest = from;
    const add = (kind: string, map: ReadonlyMap<string, number>): void => {
      for (const [key, at] of map)
        if (at >= from) {
          rows.push([kind, key, at]);
          latest = Math.max(latest, at);
        }
    };
    add('blob', blobs.touched);
    add('manifest', meta.touchedManifests);
    for (let i = 0; i < rows.length; i += BATCH) {
      const batch = rows.slice(i, i + BATCH);
      await pool.query(UPSERT, [
        batch.map((r) => r[0]),
        batch.map((r) => r[1]),
        batch.map((r) => r[2]),
      ]);
    }
    since = latest;
  };
  const flush = (): Promise<void> => {
    flushing ??= write().finally(() => (flushing = undefined));
    return flushing;
  };
  const timer = setInterval(() => {
    flush().catch((err: unknown) =>
      log.warn({ err: (err as Error).message }, 'gc: writing the touched blobs failed; retrying'),
    );
  }, flushMs).unref();

  return {
    async recent(cutoff) {
      await flush();
      // The other processes write theirs within one interval (and a little for the round trip).
      await new Promise((resolve) => setTimeout(resolve, flushMs + 100));
      const found = await pool.query<{ kind: string; key: string }>(RECENT, [cutoff]);
      const blobSet = new Set<string>();
      const manifests: string[] = [];
      for (const row of found.rows) {
        if (row.kind === 'blob') blobSet.add(row.key);
        else manifests.push(row.key);
      }
      return { blobs: blobSet, manifests };
    },
    async forget(before) {
      await pool.query(FORGET, [before]);
    },
    async close() {
      clearInterval(timer);
      await flush().catch(() => {});
    },
  };
}
