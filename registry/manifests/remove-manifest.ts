/**
 * Removing a tag, or a manifest with its tags, the one way: the removal guard first (immutability),
 * then the rows, then the event the store indexes and audits (`tag.deleted`, `manifest.deleted`).
 * A DELETE on /v2 and the store's own removals (retention) both come here, so none goes around
 * a rule or leaves the store's rows, webhooks or audit log behind.
 */
import type { Digest } from '../../schemas/oci.js';
import { OciError } from '../errors.js';
import type { RegistryEvent } from '../events.js';
import type { RegistryMetadata } from '../metadata/registry-metadata.js';
import type { RemovalGuard } from './manifest-guard.js';

export interface Removal {
  repository: string;
  actor: string;
  /** The remover asked past the store's rules explicitly (`?force=true`); the guard decides. */
  force: boolean;
  address?: string | undefined;
}

interface RemovalContext {
  meta: RegistryMetadata;
  removalGuard: RemovalGuard;
  /** A promise when a listener is still writing (events.ts). */
  emit(event: RegistryEvent): Promise<void> | undefined;
}

/** Removes `tag` (not the manifest); returns the digest it pointed at. MANIFEST_UNKNOWN if none. */
export async function removeTag(
  ctx: RemovalContext,
  removal: Removal & { tag: string },
): Promise<Digest> {
  const { repository, tag, actor, address } = removal;
  const current = await ctx.meta.tagDigest(repository, tag);
  if (!current) throw new OciError('MANIFEST_UNKNOWN', undefined, { reference: tag });
  await ctx.removalGuard({ ...removal, tags: [{ tag, digest: current }] });
  const digest = await ctx.meta.deleteTag(repository, tag);
  if (!digest) throw new OciError('MANIFEST_UNKNOWN', undefined, { reference: tag });
  await ctx.emit({ type: 'tag.deleted', repository, digest, tag, actor, address });
  return digest;
}

/** Removes the manifest `digest` and every tag on it. MANIFEST_UNKNOWN if it is not there. */
export async function removeManifest(
  ctx: RemovalContext,
  removal: Removal & { digest: Digest },
): Promise<void> {
  const { repository, digest, actor, address } = removal;
  const tagged = await ctx.meta.tagsOf(repository, digest);
  if (tagged.length > 0)
    await ctx.removalGuard({ ...removal, tags: tagged.map((tag) => ({ tag, digest })) });
  const { deleted, tags } = await ctx.meta.deleteManifest(repository, digest);
  if (!deleted) throw new OciError('MANIFEST_UNKNOWN', undefined, { reference: digest });
  await ctx.emit({ type: 'manifest.deleted', repository, digest, tags, actor, address });
}
