/**
 * `appshelf export`: app versions with everything that belongs to them (the closure: bundle,
 * template, every image with all platforms, plugin images, referrers; digests unchanged) as one
 * tar of an OCI image layout, for air-gapped sites, with the apps' listings beside index.json.
 *
 * index.json names each entry for `appshelf import` (containerd's image-name annotation:
 * `<repository>:<tag>`, or `@<digest>` for referrers) and for skopeo (`ref.name`): an archive of
 * one version tags its bundle with the version, as exports always did
 * (`skopeo copy oci-archive:app.tar:1.2.0`); an archive of several tags each bundle
 * `<namespace>/<app>:<version>`.
 */
import { mkdtemp, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import {
  appClosure,
  copyImage,
  OciLayout,
  REF_NAME,
  type ClosureRoot,
  type CopyEvent,
  type CopyStats,
  type ExternalPlugin,
  type RegistryClient,
} from '../registry/client/index.js';
import {
  ArchiveAnnotations,
  LISTING_FILE,
  LISTING_FORMAT,
  type AppListing,
  type ListingFile,
} from '../schemas/airgap.js';
import { MediaTypes, type Descriptor } from '../schemas/oci.js';
import { usage } from './errors.js';
import { readListing } from './listing.js';
import { addStats, emptyStats } from './progress.js';
import type { StoreApi } from './store-api.js';
import { writeTar, type TarEntry } from './tar-write.js';

export const IMAGE_NAME = ArchiveAnnotations.imageName;

export interface ExportAppOptions {
  store: { client: RegistryClient; host: string };
  /** The store API, for the listings; without it the archive carries none. */
  api?: StoreApi | undefined;
  /** App versions: `<namespace>/<app>` and a version tag or a digest. */
  versions: { repository: string; reference: string }[];
  output: string;
  /** Progress of each copied image, by a label naming it (`<repository>:<tag>`). */
  onProgress?: (label: string, event: CopyEvent) => void;
  /** Plugin images that are not on the store (so not in the archive). */
  onExternal?: (repository: string, plugin: ExternalPlugin) => void;
  signal?: AbortSignal | undefined;
}

export interface ExportedVersion {
  reference: string;
  digest: string;
}

export interface ExportAppResult {
  /** The one version's reference and digest, when the archive holds one. */
  reference?: string;
  digest?: string;
  versions: ExportedVersion[];
  plugins: string[];
  referrers: number;
  output: string;
  size: number;
  stats: CopyStats;
}

export async function exportApp(options: ExportAppOptions): Promise<ExportAppResult> {
  const { store, signal } = options;
  const call = signal ? { signal } : {};
  const output = resolve(options.output);
  // Beside the output: the layout may be as large as the archive, and the rename stays on one disk.
  const work = await mkdtemp(join(dirname(output), '.appshelf-export-'));
  const partial = `${output}.partial`;
  try {
    const layout = await OciLayout.open(join(work, 'layout'), { create: true });
    const single = options.versions.length === 1;
    const entries = new Map<string, Descriptor>();
    const versions: ExportedVersion[] = [];
    const plugins: string[] = [];
    const stats = emptyStats();
    let referrers = 0;
    for (const { repository, reference } of options.versions) {
      const closure = await appClosure(store.client, repository, reference, call);
      if (!closure.version)
        throw usage(
          `${repository}@${reference} carries no version`,
          'export it by its version tag',
        );
      for (const plugin of closure.external) options.onExternal?.(repository, plugin);
      for (const root of closure.roots) {
        const label = root.tag
          ? `${root.repository}:${root.tag}`
          : `${root.repository}@${root.digest.slice(7, 19)}`;
        const copied = await copyImage({
          from: { client: store.client, repository: root.repository, reference: root.digest },
          to: { client: layout, repository: root.repository },
          ...(options.onProgress
            ? { onProgress: (e: CopyEvent) => options.onProgress?.(label, e) }
            : {}),
          ...call,
        });
        addStats(stats, copied.stats);
        const entry = indexEntry(root, single ? closure.version : undefined);
        entries.set(entry.annotations![IMAGE_NAME]!, entry);
        if (root.role === 'plugin') plugins.push(`${root.repository}:${root.tag ?? root.digest}`);
        if (root.role === 'referrer') referrers++;
      }
      versions.push({
        reference: `${store.host}/${repository}:${closure.version}`,
        digest: closure.bundle.digest,
      });
    }
    await writeFile(
      join(layout.dir, 'index.json'),
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaTypes.ociIndex,
        manifests: [...entries.values()],
      }),
    );
    if (options.api) {
      const file: ListingFile = {
        format: LISTING_FORMAT,
        apps: await listings(options.api, options.versions),
      };
      await writeFile(join(layout.dir, LISTING_FILE), JSON.stringify(file));
    }
    await writeTar(partial, await layoutEntries(layout.dir), signal);
    await rename(partial, output);
    return {
      ...(single ? versions[0] : {}),
      versions,
      plugins: [...new Set(plugins)],
      referrers,
      output,
      size: (await stat(output)).size,
      stats,
    };
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The index.json entry of a closure root: where an import puts it, and a ref.name for skopeo. */
function indexEntry(root: ClosureRoot, singleVersion: string | undefined): Descriptor {
  const name =
    root.tag === undefined ? `${root.repository}@${root.digest}` : `${root.repository}:${root.tag}`;
  const refName = root.role === 'bundle' && singleVersion !== undefined ? singleVersion : name;
  return {
    mediaType: root.mediaType,
    digest: root.digest,
    size: root.size,
    annotations: {
      ...(root.tag === undefined ? {} : { [REF_NAME]: refName }),
      [IMAGE_NAME]: name,
      [ArchiveAnnotations.role]: root.role,
    },
  };
}

async function listings(api: StoreApi, versions: { repository: string }[]): Promise<AppListing[]> {
  const apps = [...new Set(versions.map((v) => v.repository))];
  const out: AppListing[] = [];
  for (const repository of apps) {
    const [namespace = '', name = ''] = repository.split('/');
    out.push(await readListing(api, namespace, name));
  }
  return out;
}

/** oci-layout, index.json, the listing, then the blobs folders and blobs in name order. */
async function layoutEntries(dir: string): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  for (const name of ['oci-layout', 'index.json', LISTING_FILE]) {
    const size = await stat(join(dir, name)).then(
      (s) => s.size,
      () => undefined,
    );
    if (size !== undefined) entries.push({ name, path: join(dir, name), size });
  }
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
