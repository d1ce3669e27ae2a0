/**
 * `appshelf import`: loads an OCI layout archive written by `appshelf export` (or by
 * `skopeo copy ... oci-archive:`) into a store, byte-exact: the bundle keeps its digest.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
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
import { REPOSITORY_NAME_PATTERN, TAG_PATTERN, type Descriptor } from '../schemas/oci.js';
import { failure, usage } from './errors.js';
import { IMAGE_NAME } from './export-app.js';
import { extractTar } from './tar-read.js';

export interface ImportAppOptions {
  archive: string;
  store: { client: RegistryClient; host: string };
  /** `<namespace>/<app>` and version; default: what the archive names. */
  repository?: string | undefined;
  version?: string | undefined;
  onProgress?: (event: CopyEvent) => void;
  signal?: AbortSignal | undefined;
}

export interface ImportAppResult {
  reference: string;
  digest: string;
  stats: CopyStats;
}

const BLOB_NAME = /^blobs\/(sha256\/[a-f0-9]{64}|sha512\/[a-f0-9]{128})$/;

export async function importApp(options: ImportAppOptions): Promise<ImportAppResult> {
  const work = await mkdtemp(join(tmpdir(), 'appshelf-import-'));
  try {
    await mkdir(join(work, 'blobs', 'sha256'), { recursive: true });
    await mkdir(join(work, 'blobs', 'sha512'), { recursive: true });
    try {
      await extractTar(
        options.archive,
        (name) => {
          const clean = name.replace(/^(\.\/)+/, '');
          if (clean === 'oci-layout' || clean === 'index.json' || BLOB_NAME.test(clean))
            return join(work, ...clean.split('/'));
          return undefined; // anything else (and any path that could leave the folder) is skipped
        },
        options.signal,
      );
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || options.signal?.aborted) throw err;
      throw failure(
        `cannot read ${options.archive} (${(err as Error).message})`,
        'give a tar (or tar.gz) of an OCI image layout, as "appshelf export" writes',
        err,
      );
    }
    let layout: OciLayout;
    try {
      layout = await OciLayout.open(work);
    } catch (err) {
      throw failure(
        `${options.archive} holds no OCI image layout (${(err as Error).message})`,
        'give an archive written by "appshelf export" or skopeo (oci-archive:)',
        err,
      );
    }
    const entry = pickEntry((await layout.readIndex()).manifests, options);
    const named = entry.annotations?.[IMAGE_NAME];
    const repository =
      options.repository ??
      named?.slice(
        0,
        named.lastIndexOf(':') > named.lastIndexOf('/') ? named.lastIndexOf(':') : undefined,
      );
    const version = options.version ?? entry.annotations?.[REF_NAME];
    const hint = `name the target: appshelf import ${options.archive} <namespace>/<app>:<version>`;
    if (
      !repository ||
      !REPOSITORY_NAME_PATTERN.test(repository) ||
      repository.split('/').length !== 2
    )
      throw usage(`${options.archive} does not name its app`, hint);
    if (!version || !TAG_PATTERN.test(version))
      throw usage(`${options.archive} does not name its version`, hint);
    const copied = await copyImage({
      from: { client: layout, repository: '', reference: entry.digest },
      to: { client: options.store.client, repository, tag: version },
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return {
      reference: `${options.store.host}/${repository}:${version}`,
      digest: copied.descriptor.digest,
      stats: copied.stats,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The one image of the archive, or the one tagged with the version asked for. */
function pickEntry(manifests: Descriptor[], options: ImportAppOptions): Descriptor {
  const tagged =
    options.version === undefined
      ? undefined
      : manifests.find((m) => m.annotations?.[REF_NAME] === options.version);
  if (tagged) return tagged;
  if (manifests.length === 1) return manifests[0]!;
  const tags = manifests.map((m) => m.annotations?.[REF_NAME]).filter(Boolean);
  throw usage(
    `${options.archive} holds ${manifests.length} images`,
    `name the version to import${tags.length ? ` (one of ${tags.join(', ')})` : ''}`,
  );
}
