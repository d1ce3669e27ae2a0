/**
 * `appshelf export`: an app version (bundle, template and every image, digests unchanged) as one
 * tar of an OCI image layout, for air-gapped sites; `skopeo copy oci-archive:app.tar:<version>`
 * and `appshelf import` read it. The index entry is tagged with the version and carries the app's
 * `<namespace>/<app>:<version>` (containerd's image-name annotation), so an import needs no name.
 */
import { mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import {
  copyImage,
  isDigest,
  OciLayout,
  REF_NAME,
  type CopyEvent,
  type CopyStats,
  type RegistryClient,
} from '../registry/client/index.js';
import { BundleAnnotations } from '../schemas/bundle.js';
import { readBundle } from './bundle.js';
import { usage } from './errors.js';
import { writeTar, type TarEntry } from './tar-write.js';

export const IMAGE_NAME = 'io.containerd.image.name';

export interface ExportAppOptions {
  store: { client: RegistryClient; host: string };
  repository: string;
  /** A version tag or a digest. */
  reference: string;
  output: string;
  onProgress?: (event: CopyEvent) => void;
  signal?: AbortSignal | undefined;
}

export interface ExportAppResult {
  reference: string;
  digest: string;
  output: string;
  size: number;
  stats: CopyStats;
}

export async function exportApp(options: ExportAppOptions): Promise<ExportAppResult> {
  const { store, repository, reference, signal } = options;
  const bundle = await readBundle(store.client, repository, reference, signal);
  const version = isDigest(reference)
    ? bundle.index.annotations?.[BundleAnnotations.version]
    : reference;
  if (!version)
    throw usage(`${repository}@${reference} carries no version`, 'export it by its version tag');
  const output = resolve(options.output);
  // Beside the output: the layout may be as large as the archive, and the rename stays on one disk.
  const work = await mkdtemp(join(dirname(output), '.appshelf-export-'));
  const partial = `${output}.partial`;
  try {
    const layout = await OciLayout.open(join(work, 'layout'), { create: true });
    const copied = await copyImage({
      from: { client: store.client, repository, reference: bundle.descriptor.digest },
      to: { client: layout, repository, tag: version },
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(signal ? { signal } : {}),
    });
    await nameEntry(layout.dir, version, `${repository}:${version}`);
    await writeTar(partial, await layoutEntries(layout.dir), signal);
    await rename(partial, output);
    return {
      reference: `${store.host}/${repository}:${version}`,
      digest: copied.descriptor.digest,
      output,
      size: (await stat(output)).size,
      stats: copied.stats,
    };
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Adds the image-name annotation to the index.json entry tagged `tag`. */
async function nameEntry(dir: string, tag: string, name: string): Promise<void> {
  const path = join(dir, 'index.json');
  const index = JSON.parse(await readFile(path, 'utf8')) as {
    manifests: { annotations?: Record<string, string> }[];
  };
  for (const m of index.manifests)
    if (m.annotations?.[REF_NAME] === tag) m.annotations[IMAGE_NAME] = name;
  await writeFile(path, JSON.stringify(index));
}

/** oci-layout, index.json, then the blobs folders and blobs in name order. */
async function layoutEntries(dir: string): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  for (const name of ['oci-layout', 'index.json'])
    entries.push({ name, path: join(dir, name), size: (await stat(join(dir, name))).size });
  entries.push({ name: 'blobs/', dir: true });
  for (const algorithm of (await readdir(join(dir, 'blobs'))).sort()) {
    entries.push({ name: `blobs/${algorithm}/`, dir: true });
    for (const hex of (await readdir(join(dir, 'blobs', algorithm))).sort()) {
      const path = join(dir, 'blobs', algorithm, hex);
      entries.push({ name: `blobs/${algorithm}/${hex}`, path, size: (await stat(path)).size });
    }
  }
  return entries;
}
