import type { RegistryContext } from '../http/context.js';
import { OciError } from '../errors.js';
import { algorithmOf, parseReference } from '../names.js';
import { parseManifest, type ParsedManifest } from './parse-manifest.js';

export interface ManifestPush {
  repository: string;
  /** A tag, or the manifest's own digest. */
  reference: string;
  contentType: string | undefined;
  content: Buffer;
  actor: string;
  /** The client's address (a PUT on /v2), reported with the event. */
  address?: string | undefined;
  /** Asked past the store's rules explicitly (`?force=true`); the guard decides. */
  force?: boolean;
  /**
   * The store mirror following this upstream writes it: a tag the upstream moved (an owner's
   * republish there) moves here too. Only in-process writers set it; /v2 never does.
   */
  mirror?: string;
}

/**
 * Stores a pushed manifest: parse, check the digest reference, ask the guard, write it (and its
 * tag), log and report `manifest.pushed`. The one path for a PUT on /v2 and for in-process
 * writers (image sync), so the store indexes both alike.
 */
export async function storeManifest(
  ctx: RegistryContext,
  push: ManifestPush,
): Promise<ParsedManifest> {
  const { repository, content, actor, address } = push;
  const ref = parseReference(push.reference);
  const manifest = parseManifest(
    content,
    push.contentType,
    ref.kind === 'digest' ? algorithmOf(ref.digest) : 'sha256',
  );
  if (ref.kind === 'digest' && ref.digest !== manifest.digest) {
    throw new OciError('DIGEST_INVALID', undefined, {
      expected: ref.digest,
      actual: manifest.digest,
    });
  }
  const tag = ref.kind === 'tag' ? ref.tag : null;
  await ctx.guard({
    repository,
    tag,
    manifest,
    content,
    actor,
    force: !!push.force,
    address,
    mirror: push.mirror,
  });
  const { missing } = await ctx.meta.putManifest(
    { repository, ...manifest, content },
    tag ?? undefined,
  );
  if (missing.length > 0) {
    throw new OciError('MANIFEST_BLOB_UNKNOWN', undefined, { missing: missing.slice(0, 10) });
  }
  ctx.log.info({ repo: repository, digest: manifest.digest, tag, actor }, 'manifest pushed');
  await ctx.emit({
    type: 'manifest.pushed',
    repository,
    digest: manifest.digest,
    mediaType: manifest.mediaType,
    artifactType: manifest.artifactType,
    tag,
    size: content.length,
    actor,
    address,
  });
  return manifest;
}
