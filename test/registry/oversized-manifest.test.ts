/**
 * An oversized manifest (issue 13 §5): whether its Content-Length announces too much or a chunked
 * body runs past `registry.maxManifestBytes`, the answer is a 413 TOO_LARGE that comes at once
 * (the client has sent only part of the body), says `Connection: close`, and is followed by a
 * clean close of the connection (FIN, not a reset) without the server waiting for the rest. A
 * request on a new connection then works.
 */
import { expect } from 'chai';
import { RawConnection, sleep } from '../helpers/raw-connection.js';
import { TestRegistryClient, sha256 } from '../helpers/registry-client.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const REPO = 'admin/big';
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const LIMIT = 64 * 1024;
const ANNOUNCED = 512 * 1024 * 1024;

describe('registry: an oversized manifest is refused promptly and its connection closed', function () {
  this.timeout(20_000);
  let srv: TestServer;
  let client: TestRegistryClient;
  let bearer: string;

  before(async () => {
    srv = await startTestServer({ registry: { maxManifestBytes: LIMIT } });
    client = new TestRegistryClient(srv.url);
    bearer = `Bearer ${await client.token(`repository:${REPO}:pull,push`)}`;
  });
  after(async () => {
    try {
      const errors = srv.logs.filter(
        (line) => (JSON.parse(line) as { level?: number }).level === 50,
      );
      expect(errors, 'errors logged').to.deep.equal([]);
    } finally {
      await srv.close();
    }
  });

  /** JSON padded past the limit: the start of a manifest that would go on for `ANNOUNCED` bytes. */
  const padding = (size: number): Buffer =>
    Buffer.from(`{"schemaVersion":2,"annotations":{"pad":"${'x'.repeat(size)}`);

  const cases = [
    {
      name: 'a Content-Length that announces too much',
      headers: { 'Content-Length': ANNOUNCED },
      // Less than the limit: the answer must come from the header alone.
      send: (conn: RawConnection) => conn.write(padding(LIMIT / 4)),
    },
    {
      name: 'a chunked body that runs past the limit',
      headers: { 'Transfer-Encoding': 'chunked' },
      send: (conn: RawConnection) => {
        const piece = padding(16 * 1024);
        for (let sent = 0; sent <= LIMIT + piece.length; sent += piece.length) conn.chunk(piece);
      },
    },
  ];

  for (const c of cases) {
    it(`answers ${c.name} with a prompt 413 and a clean close`, async () => {
      const conn = await RawConnection.open(srv.url);
      const started = Date.now();
      conn.head('PUT', `/v2/${REPO}/manifests/too-big`, {
        Authorization: bearer,
        'Content-Type': MANIFEST,
        ...c.headers,
      });
      c.send(conn);
      const res = await conn.response(5000);
      const answeredIn = Date.now() - started;
      expect([res.status, res.code]).to.deep.equal([413, 'TOO_LARGE']);
      expect(res.headers.connection).to.equal('close');
      expect(answeredIn, 'ms until the 413').to.be.below(500);

      // The body goes on, as a client that does not read early answers would send it: the server
      // does not wait for it, but ends the connection cleanly.
      const more = padding(16 * 1024);
      for (let i = 0; i < 8 && !conn.destroyed; i++) {
        conn.write(more);
        await sleep(5);
      }
      const ended = await Promise.race([conn.ended, sleep(5000).then(() => undefined)]);
      expect(ended, 'the server closed the connection').to.not.equal(undefined);
      expect(ended!.how, 'a clean close (FIN), not a reset').to.equal('end');
      expect(ended!.at - started, 'ms until the close').to.be.below(3000);
      conn.destroy();

      const manifest = JSON.stringify({
        schemaVersion: 2,
        mediaType: MANIFEST,
        config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256('{}'), size: 2 },
        layers: [],
      });
      expect((await client.pushBlob(REPO, '{}')).status).to.equal(201);
      const next = await client.pushManifest(REPO, 'small', manifest);
      expect(next.status, 'a manifest on a new connection').to.equal(201);
      const gone = await client.request('GET', `/v2/${REPO}/manifests/too-big`);
      expect(gone.status).to.equal(404);
    });
  }
});
