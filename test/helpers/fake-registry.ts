/**
 * A small in-memory registry on node:http for tests that need a misbehaving peer: it speaks
 * enough of the distribution protocol for clients (manifests, blobs with Range, chunked
 * uploads, tag lists with Link paging), anonymously, and lets a test answer any request itself
 * (`intercept`) to inject faults: 503s, wrong bytes, dropped connections.
 */
import { createHash, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
}

export interface FakeRegistry {
  url: string;
  host: string;
  /** Every request, in arrival order. */
  requests: FakeRequest[];
  /** Called first for every request; return true when it answered the request itself. */
  intercept:
    ((req: IncomingMessage, res: ServerResponse, request: FakeRequest) => boolean) | undefined;
  blobs: Map<string, Buffer>;
  /** `<repository>@<digest>` → manifest. */
  manifests: Map<string, { mediaType: string; bytes: Buffer }>;
  /** `<repository>:<tag>` → digest. */
  tags: Map<string, string>;
  close(): Promise<void>;
}

export const sha256 = (bytes: Buffer): string =>
  `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

function send(
  res: ServerResponse,
  status: number,
  headers: Record<string, string | number> = {},
  payload?: Buffer | string,
): void {
  const bytes = payload === undefined ? Buffer.alloc(0) : Buffer.from(payload);
  res.writeHead(status, { 'Content-Length': bytes.length, ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : bytes);
}

function error(res: ServerResponse, status: number, code: string): void {
  send(
    res,
    status,
    { 'Content-Type': 'application/json' },
    JSON.stringify({ errors: [{ code, message: code.toLowerCase() }] }),
  );
}

export async function startFakeRegistry(): Promise<FakeRegistry> {
  const uploads = new Map<string, Buffer>();
  const fake: Omit<FakeRegistry, 'url' | 'host' | 'close'> = {
    requests: [],
    intercept: undefined,
    blobs: new Map(),
    manifests: new Map(),
    tags: new Map(),
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const request: FakeRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
    };
    fake.requests.push(request);
    if (fake.intercept?.(req, res, request)) return;
    const { method, path } = request;
    if (path === '/v2/' || path === '/v2')
      return send(res, 200, { 'Content-Type': 'application/json' }, '{}');
    let m = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(path);
    if (m) {
      const [, repo = '', ref = ''] = m;
      if (method === 'PUT') {
        const bytes = await body(req);
        const digest = sha256(bytes);
        fake.manifests.set(`${repo}@${digest}`, {
          mediaType: req.headers['content-type'] ?? '',
          bytes,
        });
        if (!ref.startsWith('sha256:')) fake.tags.set(`${repo}:${ref}`, digest);
        return send(res, 201, {
          Location: `/v2/${repo}/manifests/${digest}`,
          'Docker-Content-Digest': digest,
        });
      }
      const digest = ref.startsWith('sha256:') ? ref : fake.tags.get(`${repo}:${ref}`);
      const found = digest === undefined ? undefined : fake.manifests.get(`${repo}@${digest}`);
      if (!found || digest === undefined) return error(res, 404, 'MANIFEST_UNKNOWN');
      return send(
        res,
        200,
        { 'Content-Type': found.mediaType, 'Docker-Content-Digest': digest },
        found.bytes,
      );
    }
    m = /^\/v2\/(.+)\/blobs\/uploads\/([^/]*)$/.exec(path);
    if (m) {
      const [, repo = '', id = ''] = m;
      if (method === 'POST') {
        const fresh = randomUUID();
        uploads.set(fresh, Buffer.alloc(0));
        return send(res, 202, { Location: `/v2/${repo}/blobs/uploads/${fresh}`, Range: '0-0' });
      }
      const held = uploads.get(id);
      if (!held) return error(res, 404, 'BLOB_UPLOAD_UNKNOWN');
      const progress = (size: number): Record<string, string> => ({
        Location: `/v2/${repo}/blobs/uploads/${id}`,
        Range: `0-${Math.max(size - 1, 0)}`,
      });
      if (method === 'GET') return send(res, 204, progress(held.length));
      const next = Buffer.concat([held, await body(req)]);
      if (method === 'PATCH') {
        uploads.set(id, next);
        return send(res, 202, progress(next.length));
      }
      const digest = url.searchParams.get('digest') ?? '';
      uploads.delete(id);
      if (sha256(next) !== digest) return error(res, 400, 'DIGEST_INVALID');
      fake.blobs.set(digest, next);
      return send(res, 201, {
        Location: `/v2/${repo}/blobs/${digest}`,
        'Docker-Content-Digest': digest,
      });
    }
    m = /^\/v2\/(.+)\/blobs\/([^/]+)$/.exec(path);
    if (m) {
      const digest = m[2] ?? '';
      const found = fake.blobs.get(digest);
      if (!found) return error(res, 404, 'BLOB_UNKNOWN');
      const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      const start = range ? Number(range[1]) : 0;
      const headers = {
        'Content-Type': 'application/octet-stream',
        'Docker-Content-Digest': digest,
      };
      if (!range) return send(res, 200, headers, found);
      return send(
        res,
        206,
        { ...headers, 'Content-Range': `bytes ${start}-${found.length - 1}/${found.length}` },
        found.subarray(start),
      );
    }
    m = /^\/v2\/(.+)\/tags\/list$/.exec(path);
    if (m) {
      const repo = m[1] ?? '';
      const all = [...fake.tags.keys()]
        .filter((k) => k.startsWith(`${repo}:`))
        .map((k) => k.slice(repo.length + 1))
        .sort();
      const last = url.searchParams.get('last');
      const n = Number(url.searchParams.get('n') ?? all.length);
      const page = all.filter((t) => last === null || t > last).slice(0, n);
      const headers: Record<string, string> = { 'Content-Type': 'application/json' };
      if (page.length === n && page.length > 0)
        headers.Link = `</v2/${repo}/tags/list?n=${n}&last=${page.at(-1) ?? ''}>; rel="next"`;
      return send(res, 200, headers, JSON.stringify({ name: repo, tags: page }));
    }
    error(res, 404, 'NAME_UNKNOWN');
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    },
  });
}
