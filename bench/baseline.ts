/**
 * The ceiling for a blob push on this disk: a bare loop that hashes (sha256), writes, fsyncs and
 * renames the same number of bytes, the way a registry commits a blob.
 */
import { createHash } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { MiB, syntheticBlob } from './blob-data.js';
import { median } from './http-client.js';

export async function baselineWrite(
  scratch: string,
  mib: number,
  repeats: number,
): Promise<number> {
  const rates: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const blob = syntheticBlob(mib);
    spawnSync('sync');
    const temp = join(scratch, `baseline-${i}.tmp`);
    const final = join(scratch, `baseline-${i}.blob`);
    const t0 = process.hrtime.bigint();
    const hash = createHash('sha256');
    const file = await open(temp, 'w');
    try {
      for (const chunk of blob.chunks()) {
        hash.update(chunk);
        await file.write(chunk);
      }
      await file.sync();
    } finally {
      await file.close();
    }
    if (`sha256:${hash.digest('hex')}` !== blob.digest) throw new Error('baseline digest mismatch');
    await rename(temp, final);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    rates.push(blob.size / MiB / seconds);
    await rm(final, { force: true });
  }
  return median(rates);
}
