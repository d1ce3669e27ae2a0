import { OciError } from '../../errors.js';
import { parseDigest } from '../../names.js';
import type { Call, RegistryContext } from '../context.js';
import { parseRange } from '../request.js';
import { sendEmpty } from '../respond.js';

const IMMUTABLE = 'max-age=31536000';

export async function getBlob(ctx: RegistryContext, call: Call): Promise<void> {
  const { req, res, repository } = call;
  const digest = parseDigest(call.param, 'BLOB_UNKNOWN');
  const held = ctx.blobs.sizeIn(repository, digest);
  const size = held instanceof Promise ? await held : held;
  if (size === undefined) throw new OciError('BLOB_UNKNOWN', undefined, { digest });
  const range = parseRange(req.headers.range, size);
  if (req.method === 'GET') {
    // HEAD stays here: size and digest come from the metadata, S3 need not be asked.
    const redirect = ctx.blobs.redirectFor(digest, size);
    if (redirect) {
      // The client repeats its Range (already checked above) against the URL.
      sendEmpty(res, 307, { Location: await redirect, 'Docker-Content-Digest': digest });
      return;
    }
  }
  const headers: Record<string, string | number> = {
    'Content-Type': 'application/octet-stream',
    'Docker-Content-Digest': digest,
    ETag: `"${digest}"`,
    'Accept-Ranges': 'bytes',
    'Cache-Control': IMMUTABLE,
    'Content-Length': range ? range.end - range.start + 1 : size,
  };
  if (range) headers['Content-Range'] = `bytes ${range.start}-${range.end}/${size}`;
  const status = range ? 206 : 200;
  if (req.method === 'HEAD') {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  const small = await ctx.blobs.readSmall(digest, size);
  if (small) {
    res.writeHead(status, headers);
    res.end(range ? small.subarray(range.start, range.end + 1) : small);
    return;
  }
  const send = await ctx.blobs.openToSend(digest, range ?? { start: 0, end: size - 1 });
  res.writeHead(status, headers);
  await send(res);
}

export async function deleteBlob(ctx: RegistryContext, call: Call): Promise<void> {
  const digest = parseDigest(call.param, 'BLOB_UNKNOWN');
  if (!(await ctx.meta.unlinkBlob(call.repository, digest)))
    throw new OciError('BLOB_UNKNOWN', undefined, { digest });
  ctx.log.info({ repo: call.repository, digest, actor: call.actor.name }, 'blob unlinked');
  sendEmpty(call.res, 202, { 'Docker-Content-Digest': digest });
}
