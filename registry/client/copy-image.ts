/**
 * Copies a manifest and everything below it (index children, config, layers) from one store to
 * another, as oras-go's `oras.Copy` does: depth-first, so the children land before the parents;
 * each digest once; what the target has is skipped; manifests byte-exact (digests unchanged);
 * blobs streamed, never held whole in memory; bounded concurrency; retries with backoff.
 */
import type { Descriptor } from '../../schemas/oci.js';
import type { CopySource, CopyTarget, Fetcher, Platform, RepositoryProvider } from './content.js';
import { copyBlob, isNonDistributable } from './copy-blob.js';
import { isDigest, readLimited, verifyBytes } from './digest.js';
import { ClientError } from './errors.js';
import { isManifestType, MAX_MANIFEST_BYTES, parseNode, platformMatches } from './manifest.js';
import { createProgress, type CopyEvent, type CopyStats } from './copy-progress.js';
import { abortError, DEFAULT_RETRY, retryPolicy, type RetryPolicy } from './retry.js';

export interface CopyImageOptions {
  from: { client: RepositoryProvider<CopySource>; repository: string; reference: string };
  /** `tag` defaults to the source reference when that is a tag; with neither, the copy is by digest. */
  to: { client: RepositoryProvider<CopyTarget>; repository: string; tag?: string | undefined };
  /** 'all' (default) copies an index with every platform; a platform copies just its manifest. */
  platforms?: 'all' | Platform;
  /** Transfers at a time (default 4). */
  concurrency?: number;
  /** Backoff for blob transfers (default: the target client's policy). */
  retry?: Partial<RetryPolicy>;
  /** Repositories of the target registry to mount blobs from (the source repository is tried first when it is the same registry). */
  mountFrom?: readonly string[];
  maxManifestBytes?: number;
  onProgress?: (event: CopyEvent) => void;
  signal?: AbortSignal;
}

export interface CopyResult {
  /** The root as copied (the platform's manifest when one platform was picked). */
  descriptor: Descriptor;
  /** The tag it was pushed under, or its digest. */
  reference: string;
  stats: CopyStats;
}

export async function copyImage(options: CopyImageOptions): Promise<CopyResult> {
  const { from, to } = options;
  const source = from.client.repository(from.repository);
  const target = to.client.repository(to.repository);
  const internal = new AbortController();
  const signal = options.signal
    ? AbortSignal.any([options.signal, internal.signal])
    : internal.signal;
  const maxManifestBytes = options.maxManifestBytes ?? MAX_MANIFEST_BYTES;
  const retry = retryPolicy(
    options.retry ?? (to.client as { retry?: RetryPolicy }).retry ?? DEFAULT_RETRY,
  );
  const progress = createProgress(options.onProgress);
  const limit = limiter(Math.max(1, options.concurrency ?? 4));
  const sameRegistry =
    (from.client as object) === to.client ||
    (from.client.host !== undefined && from.client.host === to.client.host);
  const mountFrom = [
    ...new Set([...(sameRegistry ? [from.repository] : []), ...(options.mountFrom ?? [])]),
  ].filter((r) => r !== to.repository);
  const seen = new Map<string, Promise<void>>();

  const fetchManifest = async (desc: Descriptor, from: Fetcher = source): Promise<Buffer> => {
    if (desc.size > maxManifestBytes)
      throw new ClientError(
        'too_large',
        `manifest ${desc.digest} is ${desc.size} bytes, limit ${maxManifestBytes}`,
      );
    const bytes = await limit(async () =>
      readLimited(await from.fetch(desc, { signal }), maxManifestBytes, `manifest ${desc.digest}`),
    );
    verifyBytes(bytes, desc);
    return bytes;
  };

  /** Everything below a manifest, then (unless it is the root) the manifest itself. */
  const copyManifest = async (desc: Descriptor, bytes: Buffer, root: boolean): Promise<void> => {
    const node = parseNode(bytes, desc.mediaType);
    const children = node.kind === 'index' ? node.manifests : [node.config, ...node.layers];
    await settleAll(
      children.filter((c) => !isNonDistributable(c)).map((child) => visit(child)),
      internal,
    );
    if (root) return;
    await limit(() => target.push(desc, bytes, { signal }));
    progress.manifest(desc, 'copied');
  };

  /**
   * What a manifest the target has holds is there too: its blobs are counted as already there
   * (the "N already there" people read), child manifests read from the target, nothing copied.
   */
  const countPresent = async (desc: Descriptor, bytes: Buffer): Promise<void> => {
    const node = parseNode(bytes, desc.mediaType);
    const children = node.kind === 'index' ? node.manifests : [node.config, ...node.layers];
    await settleAll(
      children.filter((c) => !isNonDistributable(c)).map((child) => visit(child, true)),
      internal,
    );
  };

  const presentNode = async (desc: Descriptor): Promise<void> => {
    if (!isManifestType(desc.mediaType)) {
      progress.discoverBlob(desc);
      return progress.blob(desc, 'skipped');
    }
    progress.discoverManifest(desc);
    // Counting is best effort: a child the target cannot read back fails nothing (it is there).
    const bytes = await fetchManifest(desc, target).catch((err: unknown) => {
      if (signal.aborted) throw err;
      return undefined;
    });
    if (bytes) await countPresent(desc, bytes);
    progress.manifest(desc, 'skipped');
  };

  const copyNode = async (desc: Descriptor): Promise<void> => {
    if (isManifestType(desc.mediaType)) {
      if (await limit(() => target.exists(desc, { signal }))) return presentNode(desc);
      progress.discoverManifest(desc);
      return copyManifest(desc, await fetchManifest(desc), false);
    }
    progress.discoverBlob(desc);
    const outcome = await limit(() =>
      copyBlob(source, target, desc, {
        mountFrom,
        retry,
        signal,
        onProgress: (done) => progress.blobProgress(desc, done),
        onRetry: (err) => progress.blobRetry(desc, err),
      }),
    );
    progress.blob(desc, outcome);
  };

  const visit = (desc: Descriptor, present = false): Promise<void> => {
    let copy = seen.get(desc.digest);
    if (!copy) {
      copy = present ? presentNode(desc) : copyNode(desc);
      seen.set(desc.digest, copy);
    }
    return copy;
  };

  try {
    let root = await source.resolve(from.reference, { signal });
    let bytes = await fetchManifest(root);
    const wanted = options.platforms ?? 'all';
    if (wanted !== 'all') {
      const node = parseNode(bytes, root.mediaType);
      if (node.kind === 'index') {
        const match = node.manifests.find((m) => platformMatches(m, wanted));
        if (!match)
          throw new ClientError(
            'not_found',
            `no manifest for ${wanted.os}/${wanted.architecture} in ${from.repository}@${root.digest}`,
          );
        root = match;
        bytes = await fetchManifest(root);
      }
    }
    const tag = to.tag ?? (isDigest(from.reference) ? undefined : from.reference);
    progress.discoverManifest(root);
    const present = await limit(() => target.exists(root, { signal }));
    await (present ? countPresent(root, bytes) : copyManifest(root, bytes, true));
    if (!present || tag !== undefined)
      await limit(() => target.pushReference(root, bytes, tag ?? root.digest, { signal }));
    progress.manifest(root, present && tag === undefined ? 'skipped' : 'copied');
    return { descriptor: root, reference: tag ?? root.digest, stats: progress.stats() };
  } catch (err) {
    if (options.signal?.aborted)
      throw err instanceof ClientError && err.code === 'aborted' ? err : abortError(options.signal);
    if (internal.signal.aborted) throw internal.signal.reason; // the first failure, not the aborts it caused
    throw err;
  } finally {
    internal.abort();
  }
}

/** Waits for all; on the first failure aborts the rest (through `controller`) and rethrows it. */
async function settleAll(work: Promise<void>[], controller: AbortController): Promise<void> {
  let first: unknown;
  let failed = false;
  await Promise.all(
    work.map((p) =>
      p.catch((err: unknown) => {
        if (!failed) {
          failed = true;
          first = err;
          // The reason is the root cause: the work aborted because of it fails with 'aborted'.
          if (!controller.signal.aborted) controller.abort(err);
        }
      }),
    ),
  );
  if (failed) throw first;
}

/** At most `n` tasks at a time; a task holds its slot only while it runs (never while waiting on children). */
function limiter(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const queue: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (running >= n)
      await new Promise<void>((go) => queue.push(go)); // the finishing task hands its slot over
    else running++;
    try {
      return await task();
    } finally {
      const next = queue.shift();
      if (next) next();
      else running--;
    }
  };
}
