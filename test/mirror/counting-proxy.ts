/**
 * An HTTP proxy in front of an upstream store: forwards every request (Host kept, so the
 * upstream's token realm points back through it), counts blob GETs per digest, and can call a
 * hook when a chosen blob's first bytes pass (a test stops the upstream there, mid-copy).
 */
import { once } from 'node:events';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CountingProxy {
  url: string;
  /** host:port of the upstream the proxy forwards to (changed when it restarts elsewhere). */
  target: string;
  /** Blob GETs per digest. */
  blobGets: Map<string, number>;
  /** Called once, when the first bytes of a GET of this blob pass. */
  onBlob?: { digest: string; hook: () => void } | undefined;
  close(): Promise<void>;
}

const BLOB_GET = /^\/v2\/.+\/blobs\/(sha256:[a-f0-9]{64})$/;

export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const proxy: CountingProxy = {
    url: '',
    target,
    blobGets: new Map(),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const digest = req.method === 'GET' ? BLOB_GET.exec(path)?.[1] : undefined;
    if (digest) proxy.blobGets.set(digest, (proxy.blobGets.get(digest) ?? 0) + 1);
    const [host, port] = proxy.target.split(':');
    const out = request(
      { host, port: Number(port), method: req.method, path: req.url, headers: req.headers },
      (upstream) => {
        res.writeHead(upstream.statusCode ?? 502, upstream.headers);
        const hook = digest && proxy.onBlob?.digest === digest ? proxy.onBlob : undefined;
        if (hook) {
          upstream.once('data', () => {
            proxy.onBlob = undefined;
            hook.hook();
          });
        }
        upstream.on('error', () => res.destroy());
        upstream.on('aborted', () => res.destroy());
        upstream.pipe(res);
      },
    );
    out.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    req.pipe(out);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}
