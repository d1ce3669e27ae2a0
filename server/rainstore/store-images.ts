/**
 * Images that Rainbond pushed into this store (to `apphubinfo`'s `{hubURL}/{namespace}/...`):
 * finding one by the reference a template names, and binding it into the app's repository by
 * digest — a cross-repository mount of its blobs and a copy of its manifests, in-process, through
 * the registry's own manifest path.
 */
import {
  DIGEST_PATTERN,
  ImageIndex,
  ImageManifest,
  INDEX_MEDIA_TYPES,
  REPOSITORY_NAME_PATTERN,
  TAG_PATTERN,
  type Descriptor,
  type Digest,
} from '../../schemas/oci.js';
import type { Registry } from '../../registry/index.js';

export interface StoreImageRef {
  repository: string;
  /** A tag or a digest. */
  reference: string;
}

/**
 * The repository and reference of `ref` when it names an image on one of `hosts` (this store);
 * undefined for images elsewhere; null when it is on this store but malformed.
 */
export function storeImageRef(
  ref: string,
  hosts: ReadonlySet<string>,
): StoreImageRef | undefined | null {
  const slash = ref.indexOf('/');
  if (slash <= 0 || !hosts.has(ref.slice(0, slash).toLowerCase())) return undefined;
  let name = ref.slice(slash + 1);
  let reference = 'latest';
  const at = name.indexOf('@');
  if (at !== -1) {
    reference = name.slice(at + 1);
    name = name.slice(0, at);
    if (!DIGEST_PATTERN.test(reference)) return null;
  }
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) {
    if (at === -1) reference = name.slice(colon + 1);
    name = name.slice(0, colon);
    if (at === -1 && !TAG_PATTERN.test(reference)) return null;
  }
  return REPOSITORY_NAME_PATTERN.test(name) ? { repository: name, reference } : null;
}

/** The manifest digest `ref` names in this store, or undefined. */
export async function resolveStoreImage(
  registry: Pick<Registry, 'meta'>,
  ref: StoreImageRef,
): Promise<Digest | undefined> {
  if (DIGEST_PATTERN.test(ref.reference)) {
    return (await registry.meta.manifestByDigest(ref.repository, ref.reference as Digest))?.digest;
  }
  return await registry.meta.tagDigest(ref.repository, ref.reference);
}

/**
 * Makes manifest `digest` of repository `from` (an image or an index, children first) present in
 * `to`: blobs are mounted, manifests stored by digest. Returns its descriptor.
 */
export async function bindImage(
  registry: Registry,
  from: string,
  to: string,
  digest: Digest,
  actor: string,
): Promise<Descriptor> {
  const stored = await registry.meta.manifestByDigest(from, digest);
  if (!stored) throw new Error(`manifest ${digest} is not in ${from}`);
  const json = JSON.parse(stored.content.toString('utf8')) as unknown;
  if (INDEX_MEDIA_TYPES.has(stored.mediaType)) {
    for (const child of ImageIndex.parse(json).manifests)
      await bindImage(registry, from, to, child.digest, actor);
  } else {
    const image = ImageManifest.parse(json);
    for (const blob of [image.config, ...image.layers]) {
      if (!(await registry.blobs.mount(to, from, blob.digest)))
        throw new Error(`blob ${blob.digest} of ${from}@${digest} is missing`);
    }
  }
  if (!(await registry.meta.manifestByDigest(to, digest))) {
    await registry.putManifest({
      repository: to,
      reference: digest,
      contentType: stored.mediaType,
      content: stored.content,
      actor,
    });
  }
  return { mediaType: stored.mediaType, digest: stored.digest, size: stored.size };
}
