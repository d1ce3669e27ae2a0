/**
 * `appshelf import`: loads an OCI layout archive written by `appshelf export` (or by
 * `skopeo copy ... oci-archive:`) into a store, byte-exact: every manifest keeps its digest.
 *
 * Nothing is pushed until the whole archive has been read and every entry's graph checked
 * (each blob present, each digest right), so a damaged or truncated archive leaves the store as
 * it was. Entries go in index.json order (an export writes subjects before their referrers);
 * then the listings the archive carries are applied through the store API.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  copyImage,
  OciLayout,
  REF_NAME,
  type CopyEvent,
  type CopyStats,
  type RegistryClient,
} from '../registry/client/index.js';
import { ArchiveAnnotations, LISTING_FILE, ListingFile } from '../schemas/airgap.js';
import { REPOSITORY_NAME_PATTERN, TAG_PATTERN, type Descriptor } from '../schemas/oci.js';
import { failure, usage } from './errors.js';
import { checkLayout } from './layout-check.js';
import { applyListing } from './listing.js';
import { addStats, emptyStats } from './progress.js';
import type { StoreApi } from './store-api.js';
import { extractTar } from './tar-read.js';

export interface ImportAppOptions {
  archive: string;
  store: { client: RegistryClient; host: string };
  /** The store API, to apply the archive's listings; without it they are left out. */
  api?: StoreApi | undefined;
  /** `<namespace>/<app>` and version of the one bundle to import; default: what the archive names. */
  repository?: string | undefined;
  version?: string | undefined;
  /** Progress of each copied image, by a label naming it (`<repository>:<tag>`). */
  onProgress?: (label: string, event: CopyEvent) => void;
  signal?: AbortSignal | undefined;
}

export interface ImportedVersion {
  reference: string;
  digest: string;
}

export interface ImportAppResult {
  /** The one version's reference and digest, when one bundle was imported. */
  reference?: string;
  digest?: string;
  versions: ImportedVersion[];
  plugins: string[];
  referrers: number;
  /** Apps whose listing was applied. */
  listings: string[];
  stats: CopyStats;
}

interface Placed {
  entry: Descriptor;
  role: 'bundle' | 'plugin' | 'referrer';
  repository: string;
  tag: string | undefined;
  /** The repository the export named (a listing's key). */
  from: string;
}

const BLOB_NAME = /^blobs\/(sha256\/[a-f0-9]{64}|sha512\/[a-f0-9]{128})$/;

export async function importApp(options: ImportAppOptions): Promise<ImportAppResult> {
  const work = await mkdtemp(join(tmpdir(), 'appshelf-import-'));
  try {
    const layout = await openArchive(options.archive, work, options.signal);
    const placed = place((await layout.readIndex()).manifests, options);
    await checkLayout(
      layout,
      placed.map((p) => p.entry),
      options.archive,
      options.signal,
    );
    const listing = await readListingFile(work, options.archive);

    const stats = emptyStats();
    const versions: ImportedVersion[] = [];
    const plugins: string[] = [];
    let referrers = 0;
    for (const p of placed) {
      const label = p.tag
        ? `${p.repository}:${p.tag}`
        : `${p.repository}@${p.entry.digest.slice(7, 19)}`;
      const copied = await copyImage({
        from: { client: layout, repository: '', reference: p.entry.digest },
        to: { client: options.store.client, repository: p.repository, tag: p.tag },
        ...(options.onProgress
          ? { onProgress: (e: CopyEvent) => options.onProgress?.(label, e) }
          : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      addStats(stats, copied.stats);
      const reference = `${options.store.host}/${p.repository}${p.tag ? `:${p.tag}` : `@${p.entry.digest}`}`;
      if (p.role === 'bundle') versions.push({ reference, digest: copied.descriptor.digest });
      else if (p.role === 'plugin') plugins.push(reference);
      else referrers++;
    }

    const listings: string[] = [];
    if (options.api && listing) {
      for (const p of placed.filter((x) => x.role === 'bundle')) {
        const app = listing.apps.find((a) => `${a.namespace}/${a.name}` === p.from);
        const [namespace = '', name = ''] = p.repository.split('/');
        if (!app || listings.includes(p.repository)) continue;
        await applyListing(options.api, namespace, name, app);
        listings.push(p.repository);
      }
    }
    return {
      ...(versions.length === 1 ? versions[0] : {}),
      versions,
      plugins,
      referrers,
      listings,
      stats,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function openArchive(
  archive: string,
  work: string,
  signal?: AbortSignal,
): Promise<OciLayout> {
  await mkdir(join(work, 'blobs', 'sha256'), { recursive: true });
  await mkdir(join(work, 'blobs', 'sha512'), { recursive: true });
  try {
    await extractTar(
      archive,
      (name) => {
        const clean = name.replace(/^(\.\/)+/, '');
        if (
          clean === 'oci-layout' ||
          clean === 'index.json' ||
          clean === LISTING_FILE ||
          BLOB_NAME.test(clean)
        )
          return join(work, ...clean.split('/'));
        return undefined; // anything else (and any path that could leave the folder) is skipped
      },
      signal,
    );
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || signal?.aborted) throw err;
    throw failure(
      `cannot read ${archive} (${(err as Error).message}); nothing was imported`,
      'give a tar (or tar.gz) of an OCI image layout, as "appshelf export" writes',
      err,
    );
  }
  try {
    return await OciLayout.open(work);
  } catch (err) {
    throw failure(
      `${archive} holds no OCI image layout (${(err as Error).message}); nothing was imported`,
      'give an archive written by "appshelf export" or skopeo (oci-archive:)',
      err,
    );
  }
}

async function readListingFile(work: string, archive: string): Promise<ListingFile | undefined> {
  let text: string;
  try {
    text = await readFile(join(work, LISTING_FILE), 'utf8');
  } catch {
    return undefined; // skopeo's archives, and exports made without the store API
  }
  const parsed = ListingFile.safeParse(JSON.parse(text));
  if (!parsed.success)
    throw failure(
      `${archive} carries a damaged ${LISTING_FILE}; nothing was imported`,
      'export it again',
    );
  return parsed.data;
}

/** `<repository>:<tag>` or `<repository>@<digest>` as the export named an entry. */
function splitName(
  name: string | undefined,
): { repository: string; tag: string | undefined } | undefined {
  if (!name) return undefined;
  const at = name.indexOf('@');
  if (at >= 0) return { repository: name.slice(0, at), tag: undefined };
  const colon = name.lastIndexOf(':');
  return colon > name.lastIndexOf('/')
    ? { repository: name.slice(0, colon), tag: name.slice(colon + 1) }
    : undefined;
}

/** Where each entry goes: as the archive names them, or (one bundle) under the name given. */
function place(manifests: Descriptor[], options: ImportAppOptions): Placed[] {
  const hint = `name the target: appshelf import ${options.archive} <namespace>/<app>:<version>`;
  const all = manifests.map((entry) => {
    const named = splitName(entry.annotations?.[ArchiveAnnotations.imageName]);
    const role = entry.annotations?.[ArchiveAnnotations.role];
    return {
      entry,
      role: role === 'plugin' || role === 'referrer' ? role : ('bundle' as const),
      repository: named?.repository ?? '',
      tag: named?.tag,
      from: named?.repository ?? '',
    } satisfies Placed;
  });
  const bundles = all.filter((p) => p.role === 'bundle');
  const renamed = options.repository !== undefined || bundles.some((b) => !b.repository);
  let out = all;
  if (renamed) {
    const chosen = pickBundle(bundles, options);
    const repository = options.repository ?? chosen.repository;
    const tag = options.version ?? chosen.entry.annotations?.[REF_NAME] ?? chosen.tag;
    // The one bundle, its app's referrers (under the new name), and the plugin images.
    out = all.flatMap((p): Placed[] => {
      if (p === chosen) return [{ ...p, repository, tag }];
      if (p.role === 'bundle') return [];
      if (p.role === 'referrer' && p.repository === chosen.from) return [{ ...p, repository }];
      return [p];
    });
  }
  for (const p of out) {
    if (!p.repository || !REPOSITORY_NAME_PATTERN.test(p.repository))
      throw usage(`${options.archive} does not name where ${p.entry.digest} goes`, hint);
    if (p.role === 'bundle' && p.repository.split('/').length !== 2)
      throw usage(`${options.archive} names ${p.repository}, which is not <namespace>/<app>`, hint);
    if (p.role === 'bundle' && (!p.tag || !TAG_PATTERN.test(p.tag)))
      throw usage(`${options.archive} does not name its version`, hint);
  }
  return out;
}

/** The one bundle of the archive, or the one tagged with the version asked for. */
function pickBundle(bundles: Placed[], options: ImportAppOptions): Placed {
  const tagged =
    options.version === undefined
      ? undefined
      : bundles.find(
          (b) => b.entry.annotations?.[REF_NAME] === options.version || b.tag === options.version,
        );
  if (tagged) return tagged;
  if (bundles.length === 1) return bundles[0]!;
  const tags = bundles.map((b) => b.entry.annotations?.[REF_NAME]).filter(Boolean);
  throw usage(
    `${options.archive} holds ${bundles.length} images`,
    `name the version to import${tags.length ? ` (one of ${tags.join(', ')})` : ''}`,
  );
}
