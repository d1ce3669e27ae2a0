import type { IncomingMessage } from 'node:http';
import { OciError } from '../../errors.js';
import { parseDigest, parseRepositoryName } from '../../names.js';
import type { Call, RegistryContext } from '../context.js';
import { parseContentRange } from '../request.js';
import { sendEmpty } from '../respond.js';

function location(repository: string, id: string): string {
  return `/v2/${repository}/blobs/uploads/${id}`;
}

function progressHeaders(repository: string, id: string, size: number): Record<string, string> {
  return {
    Location: location(repository, id),
    Range: `0-${Math.max(size - 1, 0)}`,
    'Docker-Upload-UUID': id,
  };
}

function created(call: Call, digest: string): void {
  sendEmpty(call.res, 201, {
    Location: `/v2/${call.repository}/blobs/${digest}`,
    'Docker-Content-Digest': digest,
  });
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/** Who the session is counted against (its owner's open sessions are capped). */
function ownerOf(call: Call): string {
  if (call.actor.anonymous)
    throw new OciError('DENIED', 'anonymous callers cannot open upload sessions');
  return call.actor.name;
}

/** POST: start an upload, mount from another repository, or upload in one request (`?digest=`). */
export async function startUpload(ctx: RegistryContext, call: Call): Promise<void> {
  const { req, query, repository } = call;
  const mount = query.get('mount');
  const from = query.get('from');
  if (mount !== null && from !== null) {
    const digest = parseDigest(mount);
    const source = parseRepositoryName(from);
    const mayRead = await ctx.access.allows(
      req.headers.authorization,
      { type: 'repository', name: source, actions: ['pull'] },
      req.headers.host,
    );
    if (mayRead && (await ctx.blobs.mount(repository, source, digest))) {
      ctx.log.debug({ repo: repository, from: source, digest }, 'blob mounted');
      return created(call, digest);
    }
    // Not mountable: the spec's fallback is an ordinary upload session (202).
  }
  const digestParam = query.get('digest');
  if (digestParam !== null) {
    const digest = parseDigest(digestParam);
    const declared = declaredLength(req);
    if (declared !== undefined) await ctx.blobs.guard({ repository, digest, size: declared });
    const upload = await ctx.uploads.start(repository, ownerOf(call));
    try {
      await ctx.uploads.complete(repository, upload.id, digest, req);
    } catch (err) {
      await ctx.uploads.remove(upload.id);
      throw err;
    }
    return created(call, digest);
  }
  if (hasBody(call.req)) call.req.resume();
  const upload = await ctx.uploads.start(repository, ownerOf(call));
  sendEmpty(call.res, 202, progressHeaders(repository, upload.id, 0));
}

/** PATCH: a chunk (with Content-Range) or a stream (without). */
export async function patchUpload(ctx: RegistryContext, call: Call): Promise<void> {
  const { repository, param: id, req } = call;
  const range = parseContentRange(req.headers['content-range']);
  // Bytes not yet known to be a blob the namespace holds count as new ones: a chunk that would
  // take the upload past what the store lets the repository take ends the session.
  const declared = declaredLength(req);
  if (declared !== undefined)
    await refusing(ctx, id, async () => {
      const before = (await ctx.uploads.get(repository, id)).size;
      await ctx.blobs.guard({ repository, digest: undefined, size: before + declared });
    });
  const upload = await ctx.uploads.append(repository, id, req, range);
  await refusing(ctx, id, () =>
    ctx.blobs.guard({ repository, digest: undefined, size: upload.size }),
  );
  sendEmpty(call.res, 202, progressHeaders(repository, upload.id, upload.size));
}

/** The request's Content-Length, when it declares one. */
function declaredLength(req: IncomingMessage): number | undefined {
  const length = Number(req.headers['content-length']);
  return Number.isSafeInteger(length) && length > 0 ? length : undefined;
}

/** Runs a blob guard check; when it refuses, the upload goes (nothing of it stays) and the refusal is thrown. */
async function refusing(ctx: RegistryContext, id: string, check: () => unknown): Promise<void> {
  try {
    await check();
  } catch (err) {
    if (err instanceof OciError && err.code === 'DENIED') await ctx.uploads.remove(id);
    throw err;
  }
}

/**
 * PUT ?digest=: the last chunk (optional), then verify and store. A last chunk with Content-Range
 * is held to it as a PATCH is (416 when out of place, the upload unchanged); a Content-Range
 * without a body is a chunk of no bytes, so it fails the same checks.
 */
export async function completeUpload(ctx: RegistryContext, call: Call): Promise<void> {
  const digest = parseDigest(call.query.get('digest') ?? undefined);
  const range = parseContentRange(call.req.headers['content-range']);
  const body = hasBody(call.req) || range ? call.req : undefined;
  await ctx.uploads.complete(call.repository, call.param, digest, body, range);
  created(call, digest);
}

export async function uploadStatus(ctx: RegistryContext, call: Call): Promise<void> {
  const upload = await ctx.uploads.get(call.repository, call.param);
  sendEmpty(call.res, 204, progressHeaders(call.repository, upload.id, upload.size));
}

export async function cancelUpload(ctx: RegistryContext, call: Call): Promise<void> {
  await ctx.uploads.cancel(call.repository, call.param);
  sendEmpty(call.res, 204);
}
