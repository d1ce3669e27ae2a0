import { OciError } from '../../errors.js';
import { parseReference, referenceOf, type Reference } from '../../names.js';
import { removeManifest, removeTag } from '../../manifests/remove-manifest.js';
import { storeManifest } from '../../manifests/store-manifest.js';
import type { MaybePromise, StoredManifest } from '../../metadata/registry-metadata.js';
import type { Call, RegistryContext } from '../context.js';
import { readBody } from '../request.js';
import { sendEmpty } from '../respond.js';

function lookup(
  ctx: RegistryContext,
  repository: string,
  ref: Reference,
): MaybePromise<StoredManifest | undefined> {
  return ref.kind === 'tag'
    ? ctx.meta.manifestByTag(repository, ref.tag)
    : ctx.meta.manifestByDigest(repository, ref.digest);
}

/**
 * GET/HEAD by tag or digest: the bytes exactly as pushed, with the media type they were pushed
 * with. A reference that is neither tag nor digest names nothing, so it is as unknown as any
 * absent manifest (404, as the conformance suite's `.INVALID_MANIFEST_NAME` expects), not a 400.
 */
export function getManifest(ctx: RegistryContext, call: Call): void | Promise<void> {
  const ref = referenceOf(call.param);
  const found = ref && lookup(ctx, call.repository, ref);
  // SQLite answers synchronously: the hot path then costs no promise and no extra tick.
  if (found instanceof Promise) return found.then((m) => sendManifest(ctx, call, ref, m));
  sendManifest(ctx, call, ref, found);
}

function sendManifest(
  ctx: RegistryContext,
  call: Call,
  ref: Reference | undefined,
  found: StoredManifest | undefined,
): void {
  const { req, res, repository } = call;
  if (!ref || !found) {
    throw new OciError('MANIFEST_UNKNOWN', undefined, { reference: call.param.slice(0, 200) });
  }
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
  const content = await readBody(req, ctx.maxManifestBytes);
  const manifest = await storeManifest(ctx, {
    repository,
    reference: call.param,
    contentType: req.headers['content-type'],
    content,
    actor: call.actor.name,
    address: req.socket.remoteAddress,
    force: call.query.get('force') === 'true',
  });
  const headers: Record<string, string> = {
    Location: `/v2/${repository}/manifests/${manifest.digest}`,
    'Docker-Content-Digest': manifest.digest,
  };
  if (manifest.subject) headers['OCI-Subject'] = manifest.subject;
  sendEmpty(res, 201, headers);
}

/** DELETE by digest removes the manifest and its tags; by tag removes only the tag. */
export async function deleteManifest(ctx: RegistryContext, call: Call): Promise<void> {
  const { repository } = call;
  const address = call.req.socket.remoteAddress;
  const ref = parseReference(call.param);
  const removing = {
    repository,
    actor: call.actor.name,
    force: call.query.get('force') === 'true',
    address,
  };
  if (ref.kind === 'tag') {
    const digest = await removeTag(ctx, { ...removing, tag: ref.tag });
    sendEmpty(call.res, 202);
    ctx.log.info({ repo: repository, tag: ref.tag, digest, actor: call.actor.name }, 'tag deleted');
    return;
  }
  await removeManifest(ctx, { ...removing, digest: ref.digest });
  sendEmpty(call.res, 202);
  ctx.log.info(
    { repo: repository, digest: ref.digest, actor: call.actor.name },
    'manifest deleted',
  );
}
