/**
 * A one-image OCI layout on disk (`oci:<dir>:<tag>` for skopeo), made in-process: an empty tar
 * layer, gzip'ed, and a config whose diff_id matches it. Nothing is fetched.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const digestOf = (bytes: Buffer): string =>
  `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** Writes the layout into `dir` with the image named `tag`; returns the manifest's digest. */
export async function writeImageLayout(dir: string, tag: string): Promise<{ digest: string }> {
  const blobs = join(dir, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  const put = async (mediaType: string, bytes: Buffer) => {
    const digest = digestOf(bytes);
    await writeFile(join(blobs, digest.slice(7)), bytes);
    return { mediaType, digest, size: bytes.length };
  };
  const emptyTar = Buffer.alloc(1024);
  const layer = await put('application/vnd.oci.image.layer.v1.tar+gzip', gzipSync(emptyTar));
  const config = await put(
    'application/vnd.oci.image.config.v1+json',
    Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: { Labels: { nonce: randomBytes(8).toString('hex') } },
        rootfs: { type: 'layers', diff_ids: [digestOf(emptyTar)] },
      }),
    ),
  );
  const manifest = await put(
    'application/vnd.oci.image.manifest.v1+json',
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config,
        layers: [layer],
      }),
    ),
  );
  const ref = { ...manifest, annotations: { 'org.opencontainers.image.ref.name': tag } };
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [ref],
    }),
  );
  return { digest: manifest.digest };
}
