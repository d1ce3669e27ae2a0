/**
 * Handlers of pulls through a pull-through cache: manifests and blobs come from the cache or
 * its upstream; tag lists and referrers are what the cache holds.
 */
import type { V2Family } from '../../observer.js';
import type { ProxyTarget } from '../../proxy/proxy-routes.js';
import type { Call, RegistryContext } from '../context.js';
import { getBlob } from './blobs.js';

type Handler = (ctx: RegistryContext, call: Call) => void | Promise<void>;

export function proxyHandler(family: V2Family, target: ProxyTarget, local: Handler): Handler {
  if (family === 'manifests') return (ctx, call) => proxiedManifest(ctx, call, target);
  if (family === 'blobs')
    return (ctx, call) => ctx.pullThrough!.blob(target, call, () => getBlob(ctx, call));
  return local;
}

async function proxiedManifest(
  ctx: RegistryContext,
  call: Call,
  target: ProxyTarget,
): Promise<void> {
  const { req, res } = call;
  const found = await ctx.pullThrough!.manifest(target, call.param);
  res.writeHead(200, {
    'Content-Type': found.mediaType,
    'Content-Length': found.size,
    'Docker-Content-Digest': found.digest,
    ETag: `"${found.digest}"`,
  });
  res.end(req.method === 'HEAD' ? undefined : found.content);
}
