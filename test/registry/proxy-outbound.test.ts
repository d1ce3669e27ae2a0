/**
 * Blob bodies of the pull-through cache go over undici's `request` (not fetch) on the outbound
 * guard's dispatcher: every hop of it is still checked. The upstream an admin named is reached on
 * loopback with `sync.allowHosts: []`; a blob redirect it sends to another internal address is
 * refused before any connection (a prompt UNAVAILABLE, nothing stored), one to its own host is
 * followed, and a body that is not the blob asked for is never stored.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { digestOf } from '../../registry/client/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

async function listen(
  handler: Parameters<typeof createServer>[1],
): Promise<{ server: Server; url: string }> {
  const server = createServer(handler).listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('registry: pull-through cache blob requests pass the outbound guard', function () {
  this.timeout(30_000);
  const blob = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
  const digest = digestOf(blob);
  const wrong = Buffer.alloc(1000, 1);
  const wrongDigest = digestOf(Buffer.alloc(1000, 2)); // asked for, but the upstream sends `wrong`
  let elsewhere: { server: Server; url: string };
  let upstream: { server: Server; url: string };
  let hits = 0;
  let srv: TestServer;

  before(async () => {
    elsewhere = await listen((_req, res) => {
      hits++;
      res.writeHead(200, { 'content-length': blob.length }).end(blob);
    });
    upstream = await listen((req, res) => {
      const url = req.url ?? '/';
      if (url === '/v2/') return void res.writeHead(200).end('{}');
      if (url === `/v2/library/away/blobs/${digest}`)
        return void res.writeHead(307, { location: `${elsewhere.url}/stored/${digest}` }).end();
      if (url === `/v2/library/home/blobs/${digest}`)
        return void res.writeHead(307, { location: `/stored/${digest}` }).end();
      if (url === `/stored/${digest}`)
        return void res.writeHead(200, { 'content-length': blob.length }).end(blob);
      if (url === `/v2/library/liar/blobs/${wrongDigest}`)
        return void res.writeHead(200, { 'content-length': wrong.length }).end(wrong);
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'BLOB_UNKNOWN', message: 'unknown' }] }));
    });
    srv = await startTestServer({
      sync: { allowHosts: [] },
      registry: {
        proxies: [{ name: 'up', upstream: upstream.url, anonymousPull: true, timeoutSeconds: 3 }],
      },
    });
  });
  after(async () => {
    await srv?.close();
    for (const s of [elsewhere, upstream]) s?.server.closeAllConnections();
    for (const s of [elsewhere, upstream]) s?.server.close();
  });

  it('refuses a blob redirect to an internal address without connecting; nothing is stored', async () => {
    const started = Date.now();
    const res = await fetch(`${srv.url}/v2/up/library/away/blobs/${digest}`);
    expect(res.status).to.equal(503);
    const body = (await res.json()) as { errors: { code: string; message: string }[] };
    expect(body.errors[0]!.code).to.equal('UNAVAILABLE');
    expect(body.errors[0]!.message).to.contain('blocked');
    expect(hits, 'no request reached the redirect target').to.equal(0);
    expect(Date.now() - started).to.be.lessThan(5_000);
    expect(await srv.app.registry.meta.blobSize(digest)).to.equal(undefined);
  });

  it("follows a blob redirect to the upstream's own host, streams the blob and stores it", async () => {
    const res = await fetch(`${srv.url}/v2/up/library/home/blobs/${digest}`);
    expect(res.status).to.equal(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(blob)).to.equal(true);
    // The pull ends with the last byte; a request meanwhile waits for the store's copy.
    const head = await fetch(`${srv.url}/v2/up/library/home/blobs/${digest}`, { method: 'HEAD' });
    expect(head.status).to.equal(200);
    expect(await srv.app.registry.meta.blobSize(digest)).to.equal(blob.length);
  });

  it('never stores a body whose digest is not the one asked for', async () => {
    const res = await fetch(`${srv.url}/v2/up/library/liar/blobs/${wrongDigest}`).then(
      async (r) => Buffer.from(await r.arrayBuffer()).length,
      () => -1,
    );
    expect(res).to.not.equal(wrong.length); // the client sees a cut connection, not the body
    expect(await srv.app.registry.meta.blobSize(wrongDigest)).to.equal(undefined);
  });
});
