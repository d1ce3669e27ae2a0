/**
 * Blob storage layout (keys relative to the driver's root: <data>/storage, or the S3 prefix):
 *
 *   blobs/
 *     sha256/
 *       ab/
 *         ab12…ef        the blob's bytes, named by its hex digest
 *     sha512/…
 *   logos/<app>/<hex>    app logos, named by their SHA-256
 *   _tmp/                files being written (fs driver); never read
 *   _uploads/<id>/       upload sessions on S3 (see uploads/multipart-staging.ts)
 *
 * On the fs driver, upload sessions are staged outside it, in `<data>/uploads/<id>` (local disk).
 */
import type { Digest } from '../../schemas/oci.js';

export function blobKey(digest: Digest): string {
  const [algorithm, hex] = digest.split(':') as [string, string];
  return `blobs/${algorithm}/${hex.slice(0, 2)}/${hex}`;
}

const BLOB_KEY = /^blobs\/(sha256|sha512)\/[a-f0-9]{2}\/([a-f0-9]{64}|[a-f0-9]{128})$/;

/** The digest a blob key names, or undefined for anything else. */
export function digestOfKey(key: string): Digest | undefined {
  const m = BLOB_KEY.exec(key);
  return m ? (`${m[1]}:${m[2]}` as Digest) : undefined;
}
