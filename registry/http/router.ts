/**
 * The /v2 dispatcher, on bare node:http (no express on the hot path): parse the path, check
 * access once, call one handler, render every failure as an OCI error.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AccessScope, RegistryAction } from '../access.js';
import { OciError } from '../errors.js';
import { parseRepositoryName } from '../names.js';
import type { V2Family } from '../observer.js';
import type { Call, RegistryContext } from './context.js';
import { deleteBlob, getBlob } from './handlers/blobs.js';
import { listReferrers, listRepositories, listTags } from './handlers/listings.js';
import { deleteManifest, getManifest, putManifest } from './handlers/manifests.js';
import {
  cancelUpload,
  completeUpload,
  patchUpload,
  startUpload,
  uploadStatus,
} from './handlers/uploads.js';
import { API_VERSION_HEADER, sendJson, sendOciError } from './respond.js';
import { proxyHandler } from './handlers/proxied.js';

type Handler = (ctx: RegistryContext, call: Call) => void | Promise<void>;

interface Route {
  pattern: RegExp;
  family: V2Family;
  methods: Partial<Record<string, [RegistryAction, Handler]>>;
}

// Names may contain the words below, so each pattern takes the name greedily up to the LAST marker.
const ROUTES: Route[] = [
  {
    pattern: /^\/v2\/(.+)\/manifests\/([^/]+)$/,
    family: 'manifests',
    methods: {
      GET: ['pull', getManifest],
      HEAD: ['pull', getManifest],
      PUT: ['push', putManifest],
      DELETE: ['delete', deleteManifest],
    },
  },
  {
    pattern: /^\/v2\/(.+)\/blobs\/uploads\/?()$/,
    family: 'uploads',
    methods: { POST: ['push', startUpload] },
  },
  {
    pattern: /^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/,
    family: 'uploads',
    methods: {
      GET: ['push', uploadStatus],
      PATCH: ['push', patchUpload],
      PUT: ['push', completeUpload],
      DELETE: ['push', cancelUpload],
    },
  },
  {
    pattern: /^\/v2\/(.+)\/blobs\/([^/]+)$/,
    family: 'blobs',
    methods: { GET: ['pull', getBlob], HEAD: ['pull', getBlob], DELETE: ['delete', deleteBlob] },
  },
  { pattern: /^\/v2\/(.+)\/tags\/list()$/, family: 'tags', methods: { GET: ['pull', listTags] } },
  {
    pattern: /^\/v2\/(.+)\/referrers\/([^/]+)$/,
    family: 'referrers',
    methods: { GET: ['pull', listReferrers] },
  },
];

export function createV2Handler(
  ctx: RegistryContext,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const startedAt = performance.now();
    res.setHeader(API_VERSION_HEADER[0], API_VERSION_HEADER[1]);
    dispatch(ctx, req, res).then(
      (family) => ctx.observer.requestFinished(family, req, res, startedAt),
      (err: unknown) => {
        failed(ctx, req, res, err);
        ctx.observer.requestFinished(familyOf(req.url), req, res, startedAt);
      },
    );
  };
}

/** Answers a failed request with its OCI error, and logs it as much as it deserves. */
function failed(
  ctx: RegistryContext,
  req: IncomingMessage,
  res: ServerResponse,
  err: unknown,
): void {
  const e = sendOciError(req, res, err);
  // A client that hung up mid-body (either way) is no server fault: nobody to answer, nothing to act on.
  if (clientAborted(req, res, err))
    ctx.log.debug({ method: req.method, url: req.url }, 'client went away');
  else if (e.status >= 500)
    ctx.log.error({ err, method: req.method, url: req.url }, 'registry request failed');
  else
    ctx.log.debug({ code: e.code, method: req.method, url: req.url }, 'registry request refused');
}

/** Serves one request; resolves to its family once the response is handed to the connection. */
async function dispatch(
  ctx: RegistryContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<V2Family> {
  const raw = req.url ?? '/';
  const q = raw.indexOf('?');
  const path = decodePath(q === -1 ? raw : raw.slice(0, q));
  const query = new URLSearchParams(q === -1 ? '' : raw.slice(q + 1));
  const auth = req.headers.authorization;
  const method = req.method ?? 'GET';

  if (path === '/v2/' || path === '/v2') {
    if (method !== 'GET' && method !== 'HEAD') throw new OciError('UNSUPPORTED');
    await ctx.access.check(auth, undefined, req.headers.host);
    sendJson(res, 200, {});
    return 'v2';
  }
  if (path === '/v2/_catalog') {
    if (method !== 'GET') throw new OciError('UNSUPPORTED');
    await ctx.access.check(
      auth,
      { type: 'registry', name: 'catalog', actions: ['*'] },
      req.headers.host,
    );
    await listRepositories(ctx, { res, query });
    return 'catalog';
  }
  for (const route of ROUTES) {
    const m = route.pattern.exec(path);
    if (!m) continue;
    const entry = route.methods[method];
    if (!entry) throw new OciError('UNSUPPORTED', `method ${method} not allowed here`);
    const named = parseRepositoryName(m[1] ?? '');
    const [action, local] = entry;
    // Pull-through caches: resolved in memory from the name (and `ns=`), so local repositories
    // pay nothing for them; proxied repositories are read-only.
    const routed = ctx.pullThrough?.target(named, query.get('ns'), method);
    const target = routed instanceof Promise ? await routed : routed;
    if (target && action !== 'pull')
      throw new OciError('UNSUPPORTED', 'a pull-through cache is read-only', {
        proxy: target.proxy.name,
      });
    const repository = target ? target.repository : named;
    const handler = target ? proxyHandler(route.family, target, local) : local;
    const scope: AccessScope = { type: 'repository', name: repository, actions: [action] };
    const actor = await ctx.access.check(auth, scope, req.headers.host);
    const served = handler(ctx, { req, res, query, repository, param: m[2] ?? '', actor });
    if (served) await served; // manifest GET on SQLite is synchronous: no extra tick for it
    return route.family;
  }
  throw new OciError('NAME_INVALID', 'no such route', { path: path.slice(0, 300) });
}

/** The family of a request that failed (a served one reports its own, without this second match). */
function familyOf(url = '/'): V2Family {
  const q = url.indexOf('?');
  let path: string;
  try {
    path = decodePath(q === -1 ? url : url.slice(0, q));
  } catch {
    return 'v2_unknown';
  }
  if (path === '/v2/' || path === '/v2') return 'v2';
  if (path === '/v2/_catalog') return 'catalog';
  return ROUTES.find((route) => route.pattern.test(path))?.family ?? 'v2_unknown';
}

/** The client hung up mid-request (an upload) or mid-response (a download it cancelled). */
function clientAborted(req: IncomingMessage, res: ServerResponse, err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ERR_STREAM_PREMATURE_CLOSE') return !req.complete || !res.writableFinished;
  return code === 'ECONNRESET' && !req.complete;
}

function decodePath(path: string): string {
  if (!path.includes('%')) return path;
  try {
    return decodeURIComponent(path);
  } catch {
    throw new OciError('NAME_INVALID', 'malformed path encoding');
  }
}
