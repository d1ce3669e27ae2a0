import { OciError } from '../../errors.js';
import { algorithmOf, parseReference } from '../../names.js';
import { parseManifest } from '../../manifests/parse-manifest.js';
import type { StoredManifest } from '../../metadata/registry-metadata.js';
import type { Call, RegistryContext } from '../context.js';
import { readLimited } from '../request.js';
import { sendEmpty } from '../respond.js';

/** GET/HEAD by tag or digest: the bytes exactly as pushed, with the media type they were pushed with. */
export function getManifest(ctx: RegistryContext, call: Call): void {
  const { req, res, repository } = call;
  const ref = parseReference(call.param);
  const found: StoredManifest | undefined =
    ref.kind === 'tag' ? ctx.meta.manifestByTag(repository, ref.tag) : ctx.meta.manifestByDigest(repository, ref.digest);
  if (!found) throw new OciError('MANIFEST_UNKNOWN', undefined, { reference: call.param });
  res.writeHead(200, {
    'Content-Type': found.mediaType,
    'Content-Length': found.size,
    'Docker-Content-Digest': found.digest,
    ETag: `"${found.digest}"`,
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  res.end(found.content);
  ctx.emit({
    type: 'manifest.pulled',
    repository,
    digest: found.digest,
    tag: ref.kind === 'tag' ? ref.tag : null,
    actor: call.actor.name,
  });
}

export async function putManifest(ctx: RegistryContext, call: Call): Promise<void> {
  const { req, res, repository } = call;
  const ref = parseReference(call.param);
  const content = await readLimited(req, ctx.maxManifestBytes);
  const manifest = parseManifest(content, req.headers['content-type'], ref.kind === 'digest' ? algorithmOf(ref.digest) : 'sha256');
  if (ref.kind === 'digest' && ref.digest !== manifest.digest) {
    throw new OciError('DIGEST_INVALID', undefined, { expected: ref.digest, actual: manifest.digest });
  }
  const tag = ref.kind === 'tag' ? ref.tag : null;
  await ctx.guard({ repository, tag, manifest, content, actor: call.actor.name });
  const { missing } = ctx.meta.putManifest({ repository, ...manifest, content }, tag ?? undefined);
  if (missing.length > 0) {
    throw new OciError('MANIFEST_BLOB_UNKNOWN', undefined, { missing: missing.slice(0, 10) });
  }
  const headers: Record<string, string> = {
    Location: `/v2/${repository}/manifests/${manifest.digest}`,
    'Docker-Content-Digest': manifest.digest,
  };
  if (manifest.subject) headers['OCI-Subject'] = manifest.subject;
  sendEmpty(res, 201, headers);
  ctx.log.info({ repo: repository, digest: manifest.digest, tag, actor: call.actor.name }, 'manifest pushed');
  ctx.emit({
    type: 'manifest.pushed',
    repository,
    digest: manifest.digest,
    mediaType: manifest.mediaType,
    artifactType: manifest.artifactType,
    tag,
    size: content.length,
    actor: call.actor.name,
  });
}

/** DELETE by digest removes the manifest and its tags; by tag removes only the tag. */
export function deleteManifest(ctx: RegistryContext, call: Call): void {
  const { repository } = call;
  const ref = parseReference(call.param);
  if (ref.kind === 'tag') {
    const digest = ctx.meta.deleteTag(repository, ref.tag);
    if (!digest) throw new OciError('MANIFEST_UNKNOWN', undefined, { reference: ref.tag });
    sendEmpty(call.res, 202);
    ctx.log.info({ repo: repository, tag: ref.tag, digest, actor: call.actor.name }, 'tag deleted');
    ctx.emit({ type: 'tag.deleted', repository, digest, tag: ref.tag, actor: call.actor.name });
    return;
  }
  const { deleted, tags } = ctx.meta.deleteManifest(repository, ref.digest);
  if (!deleted) throw new OciError('MANIFEST_UNKNOWN', undefined, { reference: ref.digest });
  sendEmpty(call.res, 202);
  ctx.log.info({ repo: repository, digest: ref.digest, actor: call.actor.name }, 'manifest deleted');
  ctx.emit({ type: 'manifest.deleted', repository, digest: ref.digest, tags, actor: call.actor.name });
}
