/**
 * Online garbage collection, safe while pushes go on.
 *
 * Mark and sweep of rows run in ONE transaction that no push interleaves with (SQLite: one
 * synchronous transaction; PostgreSQL: an advisory lock that pushes share, pg-metadata.ts): a
 * manifest PUT either committed before (its blobs are marked) or runs after (and finds a swept
 * blob missing: MANIFEST_BLOB_UNKNOWN, never a dangling manifest). Anything
 * younger than the grace period, blobs looked at recently and blobs being committed are kept,
 * which covers the window between a client's blob upload (or HEAD) and its manifest PUT.
 * Files are deleted after their rows; a re-upload of a digest being deleted waits for it.
 */
import type { Logger } from 'pino';
import type { Digest } from '../../schemas/oci.js';
import type { RegistryMetadata, UntaggedManifest } from '../metadata/registry-metadata.js';
import type { BlobStore } from '../storage/blob-store.js';
import { blobKey, digestOfKey } from '../storage/keys.js';
import type { BlobUploads } from '../uploads/blob-uploads.js';
import type { SharedTouches } from './shared-touches.js';

export interface GcOptions {
  dryRun?: boolean;
  graceSeconds?: number;
  uploadTtlSeconds?: number;
}

export interface GcReport {
  dryRun: boolean;
  manifestsDeleted: number;
  blobsDeleted: number;
  uploadsDeleted: number;
  orphanFilesDeleted: number;
  bytesFreed: number;
  durationMs: number;
}

interface Deps {
  meta: RegistryMetadata;
  blobs: BlobStore;
  uploads: BlobUploads;
  log: Logger;
  clock: () => number;
  graceSeconds: number;
  uploadTtlSeconds: number;
  /** What the other processes touched (PostgreSQL); absent, this process is the only one. */
  sharedTouches?: SharedTouches;
  /** Told once per collection run (not per caller sharing it): its report, or undefined if it failed. */
  onFinished?: (dryRun: boolean, report: GcReport | undefined) => void;
}

/** Objects deleted a request at most (S3's DeleteObjects takes up to 1,000 keys). */
const DELETE_BATCH = 1000;

export class GarbageCollector {
  private latest: { key: string; report: Promise<GcReport> } | undefined;

  constructor(private readonly deps: Deps) {}

  /**
   * Runs one collection at a time. A caller asking for the same as the latest run (started or
   * queued) shares it; any other waits for it, so a dry run never reports (or is) a real one.
   */
  run(options: GcOptions = {}): Promise<GcReport> {
    const key = JSON.stringify([
      options.dryRun ?? false,
      options.graceSeconds ?? this.deps.graceSeconds,
      options.uploadTtlSeconds ?? this.deps.uploadTtlSeconds,
    ]);
    if (this.latest?.key === key) return this.latest.report;
    const previous = this.latest?.report.catch(() => undefined);
    const report: Promise<GcReport> = (async () => {
      await previous;
      try {
        const done = await this.collect(options);
        this.deps.onFinished?.(done.dryRun, done);
        return done;
      } catch (err) {
        this.deps.onFinished?.(options.dryRun ?? false, undefined);
        throw err;
      }
    })().finally(() => {
      if (this.latest?.report === report) this.latest = undefined;
    });
    this.latest = { key, report };
    return report;
  }

  /**
   * Manifests of the repositories under `prefix` (`<namespace>/`) that nothing keeps: no tag, not
   * inside a tagged index, no referrer of one, and older than `before` (ms). What GC would sweep
   * with that age as its grace period, for retention to remove (and audit) one by one first.
   */
  untaggedManifests(prefix: string, before: number): Promise<UntaggedManifest[]> {
    return this.deps.meta.untaggedManifests(prefix, before);
  }

  private async collect(options: GcOptions): Promise<GcReport> {
    const { meta, blobs, uploads, log, clock } = this.deps;
    const started = clock();
    const dryRun = options.dryRun ?? false;
    const cutoff = started - (options.graceSeconds ?? this.deps.graceSeconds) * 1000;
    const uploadCutoff = started - (options.uploadTtlSeconds ?? this.deps.uploadTtlSeconds) * 1000;
    const elsewhere = await this.deps.sharedTouches?.recent(cutoff);
    const recentlyTouched = (d: Digest): boolean =>
      (blobs.touched.get(d) ?? 0) > cutoff ||
      blobs.committing.has(d) ||
      elsewhere?.blobs.has(d) === true;

    const touched = [
      ...new Set([
        ...[...meta.touchedManifests].filter(([, at]) => at > cutoff).map(([key]) => key),
        ...(elsewhere?.manifests ?? []),
      ]),
    ];
    if (!dryRun) {
      const before = Math.min(cutoff, started - this.deps.graceSeconds * 1000);
      this.forgetOldTouches(before);
      await this.deps.sharedTouches?.forget(before);
    }

    const swept = await meta.sweep({
      cutoff,
      uploadCutoff,
      touched,
      dryRun,
      keepBlob: recentlyTouched,
      keepUpload: (id) => uploads.active.has(id),
    });

    let bytesFreed = swept.deadBlobs.reduce((n, b) => n + b.size, 0);
    let orphanFilesDeleted = 0;
    if (!dryRun) await this.deleteBlobFiles(swept.deadBlobs.map((b) => b.digest));
    for (const u of swept.staleUploads) {
      bytesFreed += await uploads.stagedBytes(u);
      if (!dryRun) await uploads.discard(u);
    }
    // Files no row speaks of: left by a crash between a rename and its row, or by a killed upload.
    const orphanBlobs: Digest[] = [];
    const orphanKeys: string[] = [];
    const flush = async (force: boolean): Promise<void> => {
      if (dryRun) return void (orphanBlobs.length = orphanKeys.length = 0);
      if (force || orphanBlobs.length >= DELETE_BATCH)
        await this.deleteBlobFiles(orphanBlobs.splice(0));
      if (force || orphanKeys.length >= DELETE_BATCH)
        await blobs.driver.deleteMany(orphanKeys.splice(0));
    };
    for await (const object of blobs.driver.list('blobs')) {
      const digest = digestOfKey(object.key);
      if (object.modifiedAt.getTime() > cutoff) continue;
      if (digest && (recentlyTouched(digest) || (await meta.blobSize(digest)) !== undefined))
        continue;
      orphanFilesDeleted++;
      bytesFreed += object.size;
      if (digest) orphanBlobs.push(digest);
      else orphanKeys.push(object.key);
      await flush(false);
    }
    for await (const object of blobs.driver.list('_tmp')) {
      if (object.modifiedAt.getTime() > cutoff) continue;
      orphanFilesDeleted++;
      bytesFreed += object.size;
      orphanKeys.push(object.key);
      await flush(false);
    }
    await flush(true);
    const staging = await uploads.sweepOrphans(uploadCutoff, dryRun);
    orphanFilesDeleted += staging.count;
    bytesFreed += staging.bytes;

    const report: GcReport = {
      dryRun,
      manifestsDeleted: swept.deadManifests.length,
      blobsDeleted: swept.deadBlobs.length,
      uploadsDeleted: swept.staleUploads.length,
      orphanFilesDeleted,
      bytesFreed,
      durationMs: clock() - started,
    };
    log.info(report, dryRun ? 'gc dry run' : 'gc finished');
    return report;
  }

  /**
   * Drops "last looked at" records older than any grace period GC will use, so the two maps stay
   * as small as the set of recently used blobs and manifests however long the server runs.
   */
  private forgetOldTouches(before: number): void {
    for (const map of [this.deps.blobs.touched, this.deps.meta.touchedManifests] as Map<
      string,
      number
    >[]) {
      for (const [key, at] of map) if (at <= before) map.delete(key);
    }
  }

  /**
   * Deletes blob files, a batch a request, except those that came back to life; a re-upload of
   * one waits for its batch.
   */
  private async deleteBlobFiles(digests: readonly Digest[]): Promise<void> {
    const { meta, blobs } = this.deps;
    for (let i = 0; i < digests.length; i += DELETE_BATCH) {
      const batch: Digest[] = [];
      for (const d of digests.slice(i, i + DELETE_BATCH))
        if (!blobs.committing.has(d) && (await meta.blobSize(d)) === undefined) batch.push(d);
      if (batch.length === 0) continue;
      for (const d of batch) blobs.forgetCached(d);
      const deletion =
        batch.length === 1
          ? blobs.driver.delete(blobKey(batch[0]!))
          : blobs.driver.deleteMany(batch.map(blobKey));
      for (const d of batch) blobs.sweeping.set(d, deletion);
      try {
        await deletion;
      } finally {
        for (const d of batch) blobs.sweeping.delete(d);
      }
    }
  }
}
