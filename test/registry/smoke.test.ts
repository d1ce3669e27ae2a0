import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { expect } from 'chai';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { TestRegistryClient, errorCode } from '../helpers/registry-client.js';

describe('registry: push and pull round trip', () => {
  let srv: TestServer;
  let client: TestRegistryClient;
  before(async () => {
    srv = await startTestServer();
    client = new TestRegistryClient(srv.url);
  });
  after(() => srv.close());

  it('answers /v2/ with a Bearer challenge when anonymous', async () => {
    const res = await fetch(`${srv.url}/v2/`);
    expect(res.status).to.equal(401);
    expect(res.headers.get('www-authenticate')).to.match(
      /^Bearer realm="http:\/\/127\.0\.0\.1:\d+\/v2\/token",service="appshelf"$/,
    );
    expect(await errorCode(res)).to.equal('UNAUTHORIZED');
  });

  it('pushes an image and pulls its manifest back byte-exact by tag and by digest', async () => {
    const { digest, manifest } = await client.pushImage('admin/hello', 'v1');
    for (const ref of ['v1', digest]) {
      const res = await client.request('GET', `/v2/admin/hello/manifests/${ref}`);
      expect(res.status).to.equal(200);
      expect(res.headers.get('docker-content-digest')).to.equal(digest);
      expect(res.headers.get('content-type')).to.equal(
        'application/vnd.oci.image.manifest.v1+json',
      );
      expect(await res.text()).to.equal(JSON.stringify(manifest));
    }
    const tags = await client.request('GET', '/v2/admin/hello/tags/list');
    expect(await tags.json()).to.deep.equal({ name: 'admin/hello', tags: ['v1'] });
  });

  it('streams a blob larger than its send buffers whole and by Range, and survives a client that leaves midway', async () => {
    // 4.5 MiB: more than the 4 × 1 MiB the filesystem driver keeps in flight, and a partial last chunk.
    const data = randomBytes(4.5 * 1024 * 1024);
    const { status, digest } = await client.pushBlob('admin/large', data);
    expect(status).to.equal(201);
    const path = `/v2/admin/large/blobs/${digest}`;

    const whole = await client.request('GET', path);
    expect(whole.status).to.equal(200);
    expect(whole.headers.get('content-length')).to.equal(String(data.length));
    expect(Buffer.from(await whole.arrayBuffer()).equals(data)).to.equal(true);

    const [start, end] = [1024 * 1024 - 7, 3 * 1024 * 1024 + 11];
    const part = await client.request('GET', path, { headers: { range: `bytes=${start}-${end}` } });
    expect(part.status).to.equal(206);
    expect(part.headers.get('content-range')).to.equal(`bytes ${start}-${end}/${data.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(data.subarray(start, end + 1))).to.equal(
      true,
    );

    // A client that reads a little and hangs up: the server stops sending and keeps serving.
    // 32 MiB: more than the loopback socket buffers hold, so the server is still sending.
    const big = await client.pushBlob('admin/large', randomBytes(32 * 1024 * 1024));
    expect(big.status).to.equal(201);
    const token = await client.token('repository:admin/large:pull');
    await new Promise<void>((done, fail) => {
      const req = httpRequest(`${srv.url}/v2/admin/large/blobs/${big.digest}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      req.once('response', (res) => {
        res.once('data', () => {
          req.destroy();
          done();
        });
      });
      req.once('error', fail);
      req.end();
    });
    const again = await client.request('GET', path);
    expect(Buffer.from(await again.arrayBuffer()).equals(data)).to.equal(true);
    const errors = srv.logs
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: number })
      .filter((l) => l.level >= 50);
    expect(errors, 'errors logged').to.deep.equal([]);
  });
});
