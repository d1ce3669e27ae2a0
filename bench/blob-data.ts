/**
 * Synthetic blobs: a random 1 MiB unit repeated, so a 2 GiB blob costs 1 MiB of client memory.
 * Every blob gets its own unit, so no two blobs share a digest.
 */
import { createHash, randomBytes } from 'node:crypto';

export const MiB = 1024 * 1024;

export interface SyntheticBlob {
  size: number;
  digest: string;
  /** The whole body, as 1 MiB buffers. */
  chunks(): Iterable<Buffer>;
  /** `length` bytes from `start` (both whole MiB), as 1 MiB buffers. */
  range(start: number, length: number): Buffer[];
}

export function syntheticBlob(mib: number): SyntheticBlob {
  const unit = randomBytes(MiB);
  const hash = createHash('sha256');
  for (let i = 0; i < mib; i++) hash.update(unit);
  const size = mib * MiB;
  return {
    size,
    digest: `sha256:${hash.digest('hex')}`,
    *chunks() {
      for (let i = 0; i < mib; i++) yield unit;
    },
    range(start, length) {
      if (start % MiB !== 0 || length % MiB !== 0) throw new Error('ranges are whole MiB units');
      return Array.from({ length: length / MiB }, () => unit);
    },
  };
}

export function smallBlob(bytes: number): { data: Buffer; digest: string } {
  const data = randomBytes(bytes);
  return { data, digest: `sha256:${createHash('sha256').update(data).digest('hex')}` };
}
