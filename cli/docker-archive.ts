/**
 * A docker-archive (what `docker save` writes, and the Docker engine's GET /images/{name}/get) as
 * OCI images in a layout on disk, so copyImage pushes them like any other source:
 *
 *   manifest.json            [{ Config, RepoTags, Layers }] per image, paths inside the archive
 *   <config>.json            the image config (Docker's and OCI's are the same JSON)
 *   <id>/layer.tar           each layer, an uncompressed tar (Docker 25+: blobs/sha256/<hex>,
 *                            with the old paths as symbolic links)
 *
 * Each file is hashed while it streams to disk and then renamed into the layout under its digest:
 * nothing is held in memory, and the bytes are pushed as they are. A layer's media type follows
 * its content: an uncompressed tar is `application/vnd.oci.image.layer.v1.tar` (its digest is the
 * config's diff_id), a gzip'ed or zstd one says so.
 */
import { mkdir, open, readFile, rename, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { OciLayout, digestOf } from '../registry/client/index.js';
import { MediaTypes, type Descriptor, type Digest } from '../schemas/oci.js';
import { readTar, type TarFile } from './tar-read.js';

const CONFIG_TYPE = 'application/vnd.oci.image.config.v1+json';
const LAYER_TYPES = {
  tar: 'application/vnd.oci.image.layer.v1.tar',
  gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
} as const;
const MAX_METADATA_BYTES = 16 * 1024 * 1024;

export interface ArchiveImage {
  /** The names it is tagged with (`nginx:1.25`, `registry.example.com/acme/web:1`); none when saved by id. */
  repoTags: string[];
  /** Its OCI manifest in the layout. */
  descriptor: Descriptor;
  /** The image id Docker shows: its config's digest. */
  imageId: string;
}

export interface LoadedArchive {
  layout: OciLayout;
  images: ArchiveImage[];
}

export class ArchiveError extends Error {
  override readonly name = 'ArchiveError';
}

interface ManifestEntry {
  Config?: unknown;
  RepoTags?: unknown;
  Layers?: unknown;
}

const clean = (name: string): string =>
  posix.normalize(name.replace(/^(\.\/)+/, '')).replace(/^\/+/, '');

async function mediaTypeOf(path: string): Promise<string> {
  const handle = await open(path, 'r');
  const head = Buffer.alloc(4);
  try {
    await handle.read(head, 0, 4, 0);
  } finally {
    await handle.close();
  }
  if (head[0] === 0x1f && head[1] === 0x8b) return LAYER_TYPES.gzip;
  if (head.readUInt32LE(0) === 0xfd2fb528) return LAYER_TYPES.zstd;
  return LAYER_TYPES.tar;
}

/**
 * Reads a docker-archive stream into an OCI layout in `dir` (created; the caller removes it).
 * Every image of the archive becomes a manifest in the layout, tagged `image-<n>`.
 */
export async function loadDockerArchive(
  input: AsyncIterable<Buffer>,
  dir: string,
  signal?: AbortSignal,
): Promise<LoadedArchive> {
  const files = join(dir, 'files');
  await mkdir(files, { recursive: true });
  const written = new Map<string, TarFile>();
  const links = new Map<string, string>();
  let n = 0;
  const got = await readTar(input, () => join(files, String(n++)), {
    signal,
    onLink: (name, target) =>
      links.set(clean(name), clean(posix.join(posix.dirname(clean(name)), target))),
  });
  for (const f of got) written.set(clean(f.name), f);

  const find = (name: string): TarFile => {
    let path = clean(name);
    for (let hops = 0; !written.has(path) && links.has(path) && hops < 8; hops++)
      path = links.get(path)!;
    const file = written.get(path);
    if (!file)
      throw new ArchiveError(`manifest.json names ${name}, which the archive does not hold`);
    return file;
  };
  const readSmall = async (name: string): Promise<Buffer> => {
    const file = find(name);
    if (file.size > MAX_METADATA_BYTES)
      throw new ArchiveError(`${name} is ${file.size} bytes, too large for image metadata`);
    return readFile(file.path);
  };

  if (!written.has('manifest.json'))
    throw new ArchiveError(
      'it holds no manifest.json, so it is not a docker-archive (docker save) tar',
    );
  let entries: ManifestEntry[];
  try {
    entries = JSON.parse((await readSmall('manifest.json')).toString('utf8')) as ManifestEntry[];
  } catch (err) {
    if (err instanceof ArchiveError) throw err;
    throw new ArchiveError(`its manifest.json is not JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(entries) || entries.length === 0)
    throw new ArchiveError('its manifest.json lists no image');

  const layout = await OciLayout.open(join(dir, 'layout'), { create: true });
  await mkdir(join(layout.dir, 'blobs', 'sha256'), { recursive: true });
  /** Moves a written file into the layout under its digest (once; the same layer may serve two images). */
  const place = async (file: TarFile): Promise<void> => {
    const target = layout.blobPath(file.digest);
    if (
      await stat(target).then(
        () => true,
        () => false,
      )
    )
      return;
    await rename(file.path, target);
  };

  const images: ArchiveImage[] = [];
  for (const [i, entry] of entries.entries()) {
    if (
      typeof entry.Config !== 'string' ||
      !Array.isArray(entry.Layers) ||
      !entry.Layers.every((l) => typeof l === 'string')
    ) {
      throw new ArchiveError(`manifest.json entry ${i} has no Config and Layers`);
    }
    const configFile = find(entry.Config);
    const config = await readSmall(entry.Config);
    try {
      JSON.parse(config.toString('utf8'));
    } catch {
      throw new ArchiveError(`the config ${entry.Config} is not JSON`);
    }
    const layers: Descriptor[] = [];
    for (const name of entry.Layers as string[]) {
      const file = find(name);
      await place(file);
      layers.push({
        mediaType: await mediaTypeOf(layout.blobPath(file.digest)),
        digest: file.digest as Digest,
        size: file.size,
      });
    }
    await place(configFile);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaTypes.ociManifest,
        config: { mediaType: CONFIG_TYPE, digest: configFile.digest, size: configFile.size },
        layers,
      }),
    );
    const descriptor: Descriptor = {
      mediaType: MediaTypes.ociManifest,
      digest: digestOf(manifest) as Digest,
      size: manifest.length,
    };
    await layout.pushReference(descriptor, manifest, `image-${i}`);
    const repoTags = Array.isArray(entry.RepoTags)
      ? entry.RepoTags.filter((t): t is string => typeof t === 'string')
      : [];
    images.push({ repoTags, descriptor, imageId: configFile.digest });
  }
  return { layout, images };
}

/** `nginx` → `docker.io/library/nginx:latest`: a name as Docker normalises it, to compare names. */
export function normalizeImageName(name: string): string {
  let rest = name.trim();
  const at = rest.indexOf('@');
  const digest = at >= 0 ? rest.slice(at) : '';
  if (at >= 0) rest = rest.slice(0, at);
  const colon = rest.lastIndexOf(':');
  let tag = '';
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon);
    rest = rest.slice(0, colon);
  }
  const parts = rest.split('/');
  const first = parts[0] ?? '';
  const hasHost =
    parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (!hasHost) parts.unshift('docker.io');
  if (parts[0] === 'index.docker.io') parts[0] = 'docker.io';
  if (parts[0] === 'docker.io' && parts.length === 2) parts.splice(1, 0, 'library');
  return `${parts.join('/')}${tag || (digest ? '' : ':latest')}${digest}`;
}

/** The image of the archive tagged `name` (any spelling Docker takes as the same), or its only image. */
export function pickImage(
  images: ArchiveImage[],
  name: string | undefined,
): ArchiveImage | undefined {
  if (name === undefined) return images.length === 1 ? images[0] : undefined;
  const wanted = normalizeImageName(name);
  return images.find(
    (i) =>
      i.repoTags.some((t) => normalizeImageName(t) === wanted) ||
      i.imageId === name ||
      i.imageId === `sha256:${name}`,
  );
}
