/**
 * Copies one app version from the upstream's registry into the store's, byte-exact, in the
 * order that keeps a half-copied version invisible: the bundle's graph by digest (template
 * artifact, every component image with all its platforms), each plugin's image (under the app's
 * `<version>-plugin-<plugin_key>` tag, else where the template's share_image names it on the
 * upstream), then the referrers of each of their
 * manifests (signatures, SBOMs, and theirs), and only then the version's tag — the push the
 * indexer turns into a ready version. Whatever the store holds is skipped (a HEAD in-process
 * before any fetch), so a run after a failure goes on from where the last one stopped.
 *
 * The set is app-closure's (registry/client/app-closure.ts: bundle graph, plugin images,
 * referrers), walked here over the store's own copy as it lands rather than over the upstream:
 * appClosure reads template.json from the upstream on every walk, which would fetch a held blob
 * again.
 */
import { BundleTypes, MAX_TEMPLATE_BYTES, pluginTag } from '../../schemas/bundle.js';
import {
  ImageIndex,
  ImageManifest,
  INDEX_MEDIA_TYPES,
  type Descriptor,
  type Digest,
} from '../../schemas/oci.js';
import {
  copyImage,
  isClientError,
  isDigest,
  templatePlugins,
  type RegistryClient,
  type RetryPolicy,
} from '../../registry/client/index.js';
import type { Registry } from '../../registry/index.js';
import { readLimited } from '../../registry/read-limited.js';
import type { LocalRegistry } from '../store/sync/local-target.js';
import type { TrackedSource } from './tracked-source.js';
import { splitRepositoryReference } from '../../registry/client/image-reference.js';

export interface CopyVersionInput {
  source: TrackedSource;
  /** The app's repository upstream and here (they differ under `into`). */
  sourceRepository: string;
  targetRepository: string;
  version: string;
  /** The bundle's digest as the upstream's store API gave it: the copy is pinned to it. */
  digest: Digest;
  local: LocalRegistry;
  registry: Pick<Registry, 'meta' | 'blobs'>;
  /** `host[:port]` the upstream's templates name it by: plugin images there are copied too. */
  upstreamHost: string;
  /** The local namespace for the upstream's (under `into`). */
  mapRepository: (upstreamRepository: string) => string;
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
  const copy = async (
    digest: Digest | string,
    from = sourceRepository,
    to = targetRepository,
    tag?: string,
  ): Promise<Descriptor> => {
    const before = copied;
    const result = await copyImage({
      from: { client: source, repository: from, reference: digest },
      to: { client: local, repository: to, tag },
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
  const graphs = [{ from: sourceRepository, to: targetRepository, digest: root.digest }];
  const template = await localTemplate(input.registry, targetRepository, root.digest);
  for (const plugin of templatePlugins(template)) {
    // As the closure finds it: under the app's plugin tag, else where share_image names it upstream.
    const tagged = pluginTag(input.version, plugin.pluginKey);
    if (await heldUpstream(input.source.client, sourceRepository, tagged, signal)) {
      const copiedPlugin = await copy(tagged, sourceRepository, targetRepository, tagged);
      graphs.push({ from: sourceRepository, to: targetRepository, digest: copiedPlugin.digest });
      continue;
    }
    const ref = pluginRef(plugin.ref, input.upstreamHost);
    if (!ref) continue; // on another registry: not the upstream's to give
    const to = input.mapRepository(ref.repository);
    const tag = isDigest(ref.reference) ? undefined : ref.reference;
    const copiedPlugin = await copy(ref.reference, ref.repository, to, tag);
    graphs.push({ from: ref.repository, to, digest: copiedPlugin.digest });
  }

  const upstream = input.source.client;
  const seen = new Set<string>();
  const followReferrers = async (
    from: string,
    to: string,
    digest: Digest,
    depth: number,
  ): Promise<void> => {
    if (depth > MAX_REFERRER_DEPTH || seen.has(`${from}@${digest}`)) return;
    seen.add(`${from}@${digest}`);
    for (const referrer of await upstream.referrers(from, digest, { signal })) {
      await copy(referrer.digest, from, to);
      await followReferrers(from, to, referrer.digest, depth + 1);
    }
  };
  for (const g of graphs)
    for (const digest of await manifestsBelow(input.registry, g.to, g.digest))
      await followReferrers(g.from, g.to, digest, 0);

  // Last: the tag. The bytes are the store's own copy, verified against the digest on the way in.
  const stored = await input.registry.meta.manifestByDigest(targetRepository, root.digest);
  if (!stored) throw new Error(`${targetRepository}@${root.digest} vanished before it was tagged`);
  if ((await input.registry.meta.tagDigest(targetRepository, input.version)) !== root.digest)
    await local.repository(targetRepository).pushReference(root, stored.content, input.version);
  return copied;
}

/** The manifest digests of a held graph: the root and, for an index, every child, recursively. */
async function manifestsBelow(
  registry: Pick<Registry, 'meta'>,
  repository: string,
  root: Digest,
): Promise<Digest[]> {
  const found: Digest[] = [];
  const walk = async (digest: Digest): Promise<void> => {
    if (found.includes(digest)) return;
    found.push(digest);
    const stored = await registry.meta.manifestByDigest(repository, digest);
    if (!stored || !INDEX_MEDIA_TYPES.has(stored.mediaType)) return;
    const index = ImageIndex.safeParse(JSON.parse(stored.content.toString('utf8')));
    if (index.success) for (const child of index.data.manifests) await walk(child.digest);
  };
  await walk(root);
  return found;
}

/** The template JSON of a held bundle (its template artifact's template.json), or undefined. */
async function localTemplate(
  registry: Pick<Registry, 'meta' | 'blobs'>,
  repository: string,
  bundle: Digest,
): Promise<unknown> {
  for (const digest of await manifestsBelow(registry, repository, bundle)) {
    const stored = await registry.meta.manifestByDigest(repository, digest);
    if (!stored || INDEX_MEDIA_TYPES.has(stored.mediaType)) continue;
    const image = ImageManifest.safeParse(JSON.parse(stored.content.toString('utf8')));
    const layer = image.success
      ? image.data.layers.find((l) => l.mediaType === BundleTypes.template)
      : undefined;
    if (!layer || layer.size > MAX_TEMPLATE_BYTES) continue;
    const bytes = await readLimited(
      await registry.blobs.open(layer.digest),
      MAX_TEMPLATE_BYTES,
      () =>
        new Error(`template.json of ${repository}@${bundle} is over ${MAX_TEMPLATE_BYTES} bytes`),
    );
    try {
      return JSON.parse(bytes.toString('utf8')) as unknown;
    } catch {
      return undefined; // the indexer refuses such a bundle with its own message
    }
  }
  return undefined;
}

/** Whether the upstream has `repository:tag`. */
async function heldUpstream(
  client: RegistryClient,
  repository: string,
  tag: string,
  signal: AbortSignal,
): Promise<boolean> {
  try {
    await client.resolve(repository, tag, { signal });
    return true;
  } catch (err) {
    if (isClientError(err, 'not_found')) return false;
    throw err;
  }
}

/** `<host>/<repository>(:tag|@digest)` when `host` is the upstream's; else undefined. */
function pluginRef(
  ref: string,
  host: string,
): { repository: string; reference: string } | undefined {
  const prefix = `${host.toLowerCase()}/`;
  if (!ref.toLowerCase().startsWith(prefix)) return undefined;
  return splitRepositoryReference(ref.slice(prefix.length));
}
