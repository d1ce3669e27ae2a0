/** Small blobs the store writes itself (a template, the empty config) into an app's repository. */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Digest } from '../../schemas/oci.js';
import type { Registry } from '../../registry/index.js';

export function digestOf(bytes: Buffer): Digest {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}` as Digest;
}

/** Uploads `bytes` into the repository unless it holds them already; the upload is cancelled on failure. */
export async function putBlob(
  registry: Pick<Registry, 'blobs' | 'uploads'>,
  repository: string,
  bytes: Buffer,
): Promise<{ digest: Digest; size: number }> {
  const digest = digestOf(bytes);
  if ((await registry.blobs.sizeIn(repository, digest)) !== undefined)
    return { digest, size: bytes.length };
  const upload = await registry.uploads.start(repository);
  try {
    return await registry.uploads.complete(repository, upload.id, digest, Readable.from([bytes]));
  } catch (err) {
    await registry.uploads.cancel(repository, upload.id).catch(() => undefined);
    throw err;
  }
}
