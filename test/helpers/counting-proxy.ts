/**
 * An HTTP proxy in front of a test upstream registry: it counts the requests it forwards
 * (`GET /v2/...`), can be stopped and started again on the same port (the upstream "down"), and
 * can slow or cut the body of chosen responses (a blob arriving slowly, an upstream dying
 * mid-copy).
 */
import { once } from 'node:events';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface BodyFault {
  /** Which request paths it applies to. */
  match: (path: string) => boolean;
  /** Bytes sent before the fault. */
  after: number;
  /** 'cut': the connection is destroyed there; 'pause': the rest follows after `pauseMs`. */
  kind: 'cut' | 'pause';
  pauseMs?: number;
}

/**
 * Docker Hub style token auth in front of the upstream: `/token` takes Basic `username:password`
 * and hands out a bearer token; every other request needs it (else 401 with a Bearer challenge)
 * and goes on to the upstream with `upstreamAuthorization` instead.
 */
export interface TokenAuth {
  username: string;
  password: string;
  upstreamAuthorization: string;
}

export interface CountingProxy {
  url: string;
  host: string;
  /** Every forwarded request as `METHOD path` (query left out), in order. */
  requests: string[];
  count(method: string, path: string): number;
  fault: BodyFault | undefined;
  /** When a faulted response finished sending (or was cut), ms since the epoch. */
  faultEndedAt: number | undefined;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startCountingProxy(
  target: string,
  options: { tokenAuth?: TokenAuth } = {},
): Promise<CountingProxy> {
  const tokens = new Set<string>();
  const upstream = new URL(target);
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  let port = 0;
  const proxy: CountingProxy = {
    url: '',
    host: '',
    requests: [],
    count: (method, path) => proxy.requests.filter((r) => r === `${method} ${path}`).length,
    fault: undefined,
    faultEndedAt: undefined,
    async stop() {
      if (!server) return;
      const s = server;
      server = undefined;
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((done) => s.close(() => done()));
    },
    async start() {
      const s = createServer((req, res) => forward(req, res));
      s.on('connection', (socket) => {
        sockets.add(socket);
        socket.once('close', () => sockets.delete(socket));
      });
      s.listen(port, '127.0.0.1');
      await once(s, 'listening');
      port = (s.address() as AddressInfo).port;
      server = s;
      proxy.url = `http://127.0.0.1:${port}`;
      proxy.host = `127.0.0.1:${port}`;
    },
    async close() {
      await proxy.stop();
    },
  };

  function forward(req: IncomingMessage, res: import('node:http').ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    proxy.requests.push(`${req.method} ${path}`);
    const auth = options.tokenAuth;
    const headers = { ...req.headers, host: upstream.host };
    if (auth) {
      if (path === '/token') {
        const basic = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
        if (req.headers.authorization !== basic) {
          res.writeHead(401, { 'content-type': 'application/json' }).end('{"errors":[]}');
          return;
        }
        const token = `tok-${Math.random().toString(36).slice(2)}`;
        tokens.add(token);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ token, expires_in: 300 }));
        return;
      }
      const bearer = req.headers.authorization?.replace(/^Bearer /, '') ?? '';
      if (!tokens.has(bearer)) {
        const repo = /^\/v2\/(.+)\/(manifests|blobs)\//.exec(path)?.[1];
        const scope = repo ? `,scope="repository:${repo}:pull"` : '';
        res.writeHead(401, {
          'content-type': 'application/json',
          'www-authenticate': `Bearer realm="${proxy.url}/token",service="test-upstream"${scope}`,
        });
        res.end('{"errors":[{"code":"UNAUTHORIZED","message":"token required"}]}');
        return;
      }
      headers.authorization = auth.upstreamAuthorization;
    }
    const out = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        const fault = proxy.fault;
        if (!fault || !fault.match(path) || req.method !== 'GET' || up.statusCode !== 200) {
          up.pipe(res);
          return;
        }
        let sent = 0;
        let faulted = false;
        up.on('data', (chunk: Buffer) => {
          if (faulted) return;
          const room = fault.after - sent;
          if (room >= chunk.length) {
            sent += chunk.length;
            res.write(chunk);
            return;
          }
          faulted = true;
          res.write(chunk.subarray(0, Math.max(room, 0)));
          if (fault.kind === 'cut') {
            proxy.faultEndedAt = Date.now();
            up.destroy();
            res.socket?.destroy();
            return;
          }
          up.pause();
          const rest = [chunk.subarray(Math.max(room, 0))];
          up.on('data', (more: Buffer) => rest.push(more));
          setTimeout(() => {
            up.once('end', () => {
              res.end(Buffer.concat(rest));
              proxy.faultEndedAt = Date.now();
            });
            up.resume();
          }, fault.pauseMs ?? 1000);
        });
        up.on('end', () => {
          if (!faulted) res.end();
        });
      },
    );
    out.on('error', () => res.socket?.destroy());
    req.pipe(out);
  }

  await proxy.start();
  return proxy;
}
