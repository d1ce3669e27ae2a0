/**
 * The registry client over the guarded fetch, against real listeners: a refused target fails
 * with 'blocked' at once (no retry, no connection); a silent peer is cut off by the connect
 * timeout (a TLS handshake that never ends) or the idle timeout (no headers, or a body that
 * stops); a token realm on plain http is refused when the registry itself is https.
 */
import { once } from 'node:events';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import type { Digest } from '../../../schemas/oci.js';
import {
  ClientError,
  createOutboundFetch,
  OutboundPolicy,
  RegistryClient,
} from '../../../registry/client/index.js';

async function failure(work: Promise<unknown>): Promise<ClientError> {
  try {
    await work;
  } catch (err) {
    if (err instanceof ClientError) return err;
    throw err;
  }
  throw new Error('expected a ClientError');
}

describe('registry client: guarded outbound fetch', function () {
  this.timeout(20_000);
  let silent: TcpServer; // accepts, reads, never answers
  let silentPort: number;
  let connections = 0;
  const sockets = new Set<Socket>();
  let stalling: HttpServer; // answers a blob GET with headers and half a body, then nothing
  let stallingPort: number;

  before(async () => {
    silent = createTcpServer((socket) => {
      connections++;
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.resume();
    }).listen(0, '127.0.0.1');
    stalling = createHttpServer((req, res) => {
      if (req.url === '/v2/') return void res.end('{}');
      res.writeHead(200, { 'content-length': 1024, 'content-type': 'application/octet-stream' });
      res.write(Buffer.alloc(512));
    }).listen(0, '127.0.0.1');
    await Promise.all([once(silent, 'listening'), once(stalling, 'listening')]);
    silentPort = (silent.address() as AddressInfo).port;
    stallingPort = (stalling.address() as AddressInfo).port;
  });

  after(async () => {
    for (const s of sockets) s.destroy();
    stalling.closeAllConnections();
    await Promise.all([
      new Promise<void>((done) => silent.close(() => done())),
      new Promise<void>((done) => stalling.close(() => done())),
    ]);
  });

  beforeEach(() => (connections = 0));

  const guarded = (
    allowHosts: string[],
    timeouts = { connectTimeoutMs: 300, idleTimeoutMs: 300 },
  ) => createOutboundFetch(new OutboundPolicy({ allowHosts }), timeouts);

  /** Pings the silent server once; the error and how long it took to come. */
  async function pingSilent(
    scheme: 'http' | 'https',
    allowHosts: string[],
  ): Promise<{ err: ClientError; ms: number }> {
    const client = new RegistryClient({
      host: `${scheme}://127.0.0.1:${silentPort}`,
      fetch: guarded(allowHosts),
      retry: { attempts: 1 },
    });
    const started = Date.now();
    const err = await failure(client.ping());
    return { err, ms: Date.now() - started };
  }

  it('fails a refused target with blocked, without retrying or connecting', async () => {
    const { err, ms } = await pingSilent('http', []);
    expect([err.code, err.retryable]).to.deep.equal(['blocked', false]);
    expect(ms).to.be.below(1000);
    expect(connections).to.equal(0);
  });

  it('gives up on a TLS handshake that never ends after the connect timeout', async () => {
    const { err, ms } = await pingSilent('https', ['127.0.0.1']);
    expect(err.code).to.equal('network');
    expect(ms).to.be.within(250, 5000);
    expect(connections).to.equal(1);
  });

  it('gives up on a registry that sends no headers after the idle timeout', async () => {
    const { err, ms } = await pingSilent('http', ['127.0.0.1']);
    expect(err.code).to.equal('network');
    expect(ms).to.be.within(250, 5000);
  });

  it('gives up on a body that stops coming after the idle timeout', async () => {
    const client = new RegistryClient({
      host: `http://127.0.0.1:${stallingPort}`,
      fetch: guarded(['127.0.0.1']),
      retry: { attempts: 1 },
    });
    const digest = `sha256:${'0'.repeat(64)}` as Digest;
    const stream = await client.fetchBlob('a/b', {
      mediaType: 'application/octet-stream',
      digest,
      size: 1024,
    });
    const started = Date.now();
    const err = await failure(
      (async () => {
        for await (const _ of stream);
      })(),
    );
    expect(err.code).to.equal('network');
    expect(Date.now() - started).to.be.within(150, 5000);
  });

  it('refuses a plain-http token realm when the registry is https, and asks it nothing', async () => {
    const asked: string[] = [];
    const fake: typeof fetch = (input) => {
      const url = new URL(input instanceof Request ? input.url : input.toString());
      asked.push(url.origin);
      if (url.hostname === 'registry.example.com')
        return Promise.resolve(
          new Response(null, {
            status: 401,
            headers: { 'www-authenticate': 'Bearer realm="http://auth.example.com/token"' },
          }),
        );
      return Promise.resolve(new Response('{"token":"t"}', { status: 200 }));
    };
    const client = new RegistryClient({
      host: 'registry.example.com',
      credentials: { username: 'u', password: 'p' },
      fetch: fake,
    });
    const err = await failure(client.ping());
    expect(err.code).to.equal('blocked');
    expect(asked).to.deep.equal(['https://registry.example.com']);
  });

  it('takes a plain-http realm from a registry that is itself plain http', async () => {
    const fake: typeof fetch = (input, init) => {
      const url = new URL(input instanceof Request ? input.url : input.toString());
      if (url.pathname === '/token')
        return Promise.resolve(new Response('{"token":"t"}', { status: 200 }));
      const authorized = new Headers(init?.headers).get('authorization') === 'Bearer t';
      return Promise.resolve(
        authorized
          ? new Response('{}', { status: 200 })
          : new Response(null, {
              status: 401,
              headers: { 'www-authenticate': 'Bearer realm="http://auth.example.com/token"' },
            }),
      );
    };
    const client = new RegistryClient({ host: 'http://registry.example.com', fetch: fake });
    await client.ping();
  });
});
