/**
 * Copies one app version from the upstream's registry into the store's, byte-exact, in the
 * order that keeps a half-copied version invisible: the bundle's graph by digest (template
 * artifact, every component image with all its platforms), then the referrers of each of its
 * manifests (signatures, SBOMs, and theirs), and only then the version's tag — the push the
 * indexer turns into a ready version. Whatever the store holds is skipped (a HEAD in-process
 * before any fetch), so a run after a failure goes on from where the last one stopped.
 */
import { ImageIndex, INDEX_MEDIA_TYPES, type Descriptor, type Digest } from '../../schemas/oci.js';
import { copyImage, type RetryPolicy } from '../../registry/client/index.js';
import type { Registry } from '../../registry/index.js';
import type { LocalRegistry } from '../store/sync/local-target.js';
import type { TrackedSource } from './tracked-source.js';

export interface CopyVersionInput {
  source: TrackedSource;
  /** The app's repository upstream and here (they differ under `into`). */
  sourceRepository: string;
  targetRepository: string;
  version: string;
  /** The bundle's digest as the upstream's store API gave it: the copy is pinned to it. */
  digest: Digest;
  local: LocalRegistry;
  registry: Pick<Registry, 'meta'>;
  retry: Partial<RetryPolicy>;
  concurrency: number;
  signal: AbortSignal;
  /** Blob bytes the copy has written so far (for progress). */
  onBytes?: (bytes: number) => void;
}

/** Referrers of referrers are followed this deep (a signature of an SBOM of an image). */
const MAX_REFERRER_DEPTH = 3;

/** Returns the blob bytes copied (what the store did not hold before). */
export async function copyVersion(input: CopyVersionInput): Promise<number> {
  const { source, sourceRepository, targetRepository, local, signal } = input;
  let copied = 0;
  const copy = async (digest: Digest): Promise<Descriptor> => {
    const before = copied;
    const result = await copyImage({
      from: { client: source, repository: sourceRepository, reference: digest },
      to: { client: local, repository: targetRepository },
      concurrency: input.concurrency,
      retry: input.retry,
      signal,
      onProgress: (event) => {
        copied = before + event.totals.bytesTransferred;
        input.onBytes?.(copied);
      },
    });
    copied = before + result.stats.bytesTransferred;
    return result.descriptor;
  };

  const root = await copy(input.digest);
  const upstream = input.source.client;
  const seen = new Set<string>();
  const followReferrers = async (digest: Digest, depth: number): Promise<void> => {
    if (depth > MAX_REFERRER_DEPTH || seen.has(digest)) return;
    seen.add(digest);
    for (const referrer of await upstream.referrers(sourceRepository, digest, { signal })) {
      await copy(referrer.digest);
      await followReferrers(referrer.digest, depth + 1);
    }
  };
  for (const digest of manifestsBelow(input.registry, targetRepository, root.digest))
    await followReferrers(digest, 0);

  // Last: the tag. The bytes are the store's own copy, verified against the digest on the way in.
  const stored = input.registry.meta.manifestByDigest(targetRepository, root.digest);
  if (!stored) throw new Error(`${targetRepository}@${root.digest} vanished before it was tagged`);
  if (input.registry.meta.tagDigest(targetRepository, input.version) !== root.digest)
    await local.repository(targetRepository).pushReference(root, stored.content, input.version);
  return copied;
}

/** The manifest digests of a held graph: the root and, for an index, every child, recursively. */
function manifestsBelow(
  registry: Pick<Registry, 'meta'>,
  repository: string,
  root: Digest,
): Digest[] {
  const found: Digest[] = [];
  const walk = (digest: Digest): void => {
    if (found.includes(digest)) return;
    found.push(digest);
    const stored = registry.meta.manifestByDigest(repository, digest);
    if (!stored || !INDEX_MEDIA_TYPES.has(stored.mediaType)) return;
    const index = ImageIndex.safeParse(JSON.parse(stored.content.toString('utf8')));
    if (index.success) for (const child of index.data.manifests) walk(child.digest);
  };
  walk(root);
  return found;
}
