/** Progress of a copy: events per blob and per manifest, each with running totals. */
import type { Descriptor, Digest } from '../../schemas/oci.js';

export interface CopyTotals {
  /** Manifests and blobs found so far (the graph is discovered as it is walked). */
  manifests: number;
  manifestsDone: number;
  blobs: number;
  blobsDone: number;
  /** Size of the blobs found so far, and how much of it the target holds (skipped and mounted count in full). */
  bytes: number;
  bytesDone: number;
  /** Blob bytes actually sent to the target. */
  bytesTransferred: number;
}

export type BlobStatus = 'transferring' | 'retrying' | 'copied' | 'skipped' | 'mounted';
export type ManifestStatus = 'copied' | 'skipped';

export type CopyEvent =
  | {
      type: 'blob';
      digest: Digest;
      mediaType: string;
      size: number;
      done: number;
      status: BlobStatus;
      error?: unknown;
      totals: CopyTotals;
    }
  | {
      type: 'manifest';
      digest: Digest;
      mediaType: string;
      size: number;
      status: ManifestStatus;
      totals: CopyTotals;
    };

export interface CopyStats {
  manifestsCopied: number;
  manifestsSkipped: number;
  blobsCopied: number;
  blobsSkipped: number;
  blobsMounted: number;
  bytesTransferred: number;
}

export interface ProgressTracker {
  discoverManifest(desc: Descriptor): void;
  discoverBlob(desc: Descriptor): void;
  manifest(desc: Descriptor, status: ManifestStatus): void;
  blobProgress(desc: Descriptor, done: number): void;
  blobRetry(desc: Descriptor, error: unknown): void;
  blob(desc: Descriptor, status: 'copied' | 'skipped' | 'mounted'): void;
  stats(): CopyStats;
}

export function createProgress(listener?: (event: CopyEvent) => void): ProgressTracker {
  const totals: CopyTotals = {
    manifests: 0,
    manifestsDone: 0,
    blobs: 0,
    blobsDone: 0,
    bytes: 0,
    bytesDone: 0,
    bytesTransferred: 0,
  };
  const stats: CopyStats = {
    manifestsCopied: 0,
    manifestsSkipped: 0,
    blobsCopied: 0,
    blobsSkipped: 0,
    blobsMounted: 0,
    bytesTransferred: 0,
  };
  const done = new Map<string, number>();

  const emit = (event: CopyEvent): void => {
    if (!listener) return;
    try {
      listener(event);
    } catch {
      // a progress listener never breaks a copy
    }
  };
  const snapshot = (): CopyTotals => ({ ...totals });
  const setDone = (desc: Descriptor, bytes: number, transferred: boolean): void => {
    const before = done.get(desc.digest) ?? 0;
    const now = Math.min(Math.max(bytes, 0), desc.size);
    done.set(desc.digest, now);
    totals.bytesDone += now - before;
    if (transferred && now > before) {
      totals.bytesTransferred += now - before;
      stats.bytesTransferred += now - before;
    }
  };

  return {
    discoverManifest() {
      totals.manifests++;
    },
    discoverBlob(desc) {
      totals.blobs++;
      totals.bytes += desc.size;
    },
    manifest(desc, status) {
      totals.manifestsDone++;
      if (status === 'copied') stats.manifestsCopied++;
      else stats.manifestsSkipped++;
      emit({
        type: 'manifest',
        digest: desc.digest,
        mediaType: desc.mediaType,
        size: desc.size,
        status,
        totals: snapshot(),
      });
    },
    blobProgress(desc, bytes) {
      setDone(desc, bytes, true);
      emit({
        type: 'blob',
        digest: desc.digest,
        mediaType: desc.mediaType,
        size: desc.size,
        done: done.get(desc.digest) ?? 0,
        status: 'transferring',
        totals: snapshot(),
      });
    },
    blobRetry(desc, error) {
      emit({
        type: 'blob',
        digest: desc.digest,
        mediaType: desc.mediaType,
        size: desc.size,
        done: done.get(desc.digest) ?? 0,
        status: 'retrying',
        error,
        totals: snapshot(),
      });
    },
    blob(desc, status) {
      setDone(desc, desc.size, status === 'copied');
      totals.blobsDone++;
      if (status === 'copied') stats.blobsCopied++;
      else if (status === 'skipped') stats.blobsSkipped++;
      else stats.blobsMounted++;
      emit({
        type: 'blob',
        digest: desc.digest,
        mediaType: desc.mediaType,
        size: desc.size,
        done: desc.size,
        status,
        totals: snapshot(),
      });
    },
    stats: () => ({ ...stats }),
  };
}
