/** Copy progress on stderr: one line per blob when it is done (on a terminal), retries always. */
import type { CopyEvent, CopyStats } from '../registry/client/index.js';
import { plural } from '../schemas/plural.js';
import { bytes, shortDigest } from './format.js';
import type { Io } from './io.js';

export function progressPrinter(io: Io, label: string): (event: CopyEvent) => void {
  const verbose = io.interactive || io.env.APPSHELF_PROGRESS === '1';
  return (event) => {
    if (event.type !== 'blob') return;
    if (event.status === 'retrying') {
      const why = event.error instanceof Error ? event.error.message : String(event.error);
      io.err(`${label}: retrying ${shortDigest(event.digest)} after ${bytes(event.done)} (${why})`);
    } else if (verbose && event.status !== 'transferring') {
      const { blobsDone, blobs } = event.totals;
      io.err(
        `${label}: ${event.status.padEnd(7)} ${shortDigest(event.digest)} ${bytes(event.size).padStart(9)}  [${blobsDone}/${blobs}]`,
      );
    }
  };
}

export function emptyStats(): CopyStats {
  return {
    manifestsCopied: 0,
    manifestsSkipped: 0,
    blobsCopied: 0,
    blobsSkipped: 0,
    blobsMounted: 0,
    bytesTransferred: 0,
  };
}

export function addStats(into: CopyStats, more: CopyStats): CopyStats {
  for (const key of Object.keys(into) as (keyof CopyStats)[]) into[key] += more[key];
  return into;
}

/** `3 blobs copied (12 MiB), 1 mounted, 2 already there`. */
export function describeStats(stats: CopyStats): string {
  return `${plural(stats.blobsCopied, 'blob')} copied (${bytes(stats.bytesTransferred)}), ${stats.blobsMounted} mounted, ${stats.blobsSkipped} already there`;
}
