/**
 * Bad input, from the outside: every refusal carries the right status and OCI error code, no
 * request ends in a 500, and nothing is left behind (no blob file, no _tmp file, no staging file of
 * a finished session, no row that GET would find).
 */
import { sql } from 'drizzle-orm';
import { sqlRows } from '../helpers/store-sql.js';
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { request, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { TestRegistryClient, errorCode, sha256 } from '../helpers/registry-client.js';
import {
  blobKeyOf,
  blobObjectSize,
  receiving,
  settled,
  stagedFiles,
  storedKeys,
} from '../helpers/stored.js';

const sha512 = (data: Buffer | string): string =>
  `sha512:${createHash('sha512').update(data).digest('hex')}`;
const REPO = 'admin/bad';
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const MAX_MANIFEST = 4 * 1024 * 1024;

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  code: string | undefined;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('registry: bad input is refused cleanly and leaves nothing behind', () => {
  let srv: TestServer;
  let client: TestRegistryClient;
  let bearer: string;
  const storedBlobs = new Set<string>(); // digests this file stored on purpose

  /** A raw request: the path goes on the wire as given (fetch would normalise `..` and `%2e`). */
  function raw(
    method: string,
    path: string,
    options: { headers?: Record<string, string | number>; body?: Buffer | Iterable<Buffer> } = {},
  ): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      const { hostname, port } = new URL(srv.url);
      const req = request(
        { hostname, port, method, path, headers: { authorization: bearer, ...options.headers } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const body = Buffer.concat(chunks);
            let code: string | undefined;
            if (
              `${res.headers['content-type']}`.startsWith('application/json') &&
              body.length > 0
            ) {
              code = (JSON.parse(body.toString('utf8')) as { errors?: { code: string }[] })
                .errors?.[0]?.code;
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body, code });
          });
        },
      );
      req.on('error', reject);
      if (Buffer.isBuffer(options.body)) req.end(options.body);
      else if (options.body) {
        for (const chunk of options.body) req.write(chunk);
        req.end();
      } else req.end();
    });
  }

  const bearerFor = async (repo: string): Promise<string> =>
    `Bearer ${await client.token(`repository:${repo}:pull,push,delete`)}`;

  async function startSession(repo = REPO): Promise<string> {
    const res = await raw('POST', `/v2/${repo}/blobs/uploads/`, {
      headers: { authorization: await bearerFor(repo) },
    });
    expect(res.status).to.equal(202);
    return String(res.headers.location);
  }

  /** Sends a request whose body stops short of its Content-Length, then drops the connection. */
  async function truncatedRequest(
    method: string,
    path: string,
    declared: number,
    sent: Buffer,
    staged: () => Promise<boolean>,
  ): Promise<void> {
    const { hostname, port } = new URL(srv.url);
    const socket = connect(Number(port), hostname);
    await new Promise<void>((resolve, reject) =>
      socket.once('connect', resolve).once('error', reject),
    );
    socket.on('error', () => undefined);
    socket.write(
      `${method} ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAuthorization: ${bearer}\r\n` +
        `Content-Type: application/octet-stream\r\nContent-Length: ${declared}\r\n\r\n`,
    );
    socket.write(sent);
    await until('the server to stage the partial body', staged);
    socket.destroy();
  }

  const stagingFiles = (): Promise<string[]> => stagedFiles(srv);

  async function expectNoBlob(digest: string, repo = REPO): Promise<void> {
    const res = await client.request('GET', `/v2/${repo}/blobs/${digest}`);
    expect([res.status, await errorCode(res)], digest).to.deep.equal([404, 'BLOB_UNKNOWN']);
    expect(await blobObjectSize(srv, digest), `file of ${digest}`).to.equal(undefined);
  }

  async function expectNoManifest(reference: string, repo = REPO): Promise<void> {
    const res = await client.request('GET', `/v2/${repo}/manifests/${reference}`);
    expect([res.status, await errorCode(res)], reference).to.deep.equal([404, 'MANIFEST_UNKNOWN']);
  }

  async function expectBlob(digest: string, content: Buffer, repo = REPO): Promise<void> {
    const res = await client.request('GET', `/v2/${repo}/blobs/${digest}`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('docker-content-digest')).to.equal(digest);
    expect(Buffer.from(await res.arrayBuffer()).equals(content)).to.equal(true);
    expect(await blobObjectSize(srv, digest)).to.equal(content.length);
    storedBlobs.add(digest);
  }

  before(async () => {
    srv = await startTestServer();
    client = new TestRegistryClient(srv.url);
    bearer = await bearerFor(REPO);
  });

  afterEach(async function () {
    if (this.currentTest?.state !== 'passed') return;
    // No staging file or row of any session (tests close the sessions they leave open), no _tmp file,
    // and the blob tree holds exactly the blobs stored on purpose.
    expect(await stagingFiles(), 'staging files').to.deep.equal([]);
    const [uploads] = await sqlRows<{ n: number }>(
      srv.app.store,
      sql`select count(*) as n from uploads`,
    );
    expect(Number(uploads!.n), 'upload rows').to.equal(0);
    expect(await storedKeys(srv, '_tmp'), '_tmp files').to.deep.equal([]);
    const expected = [...storedBlobs].map((d) => blobKeyOf(d).slice('blobs/'.length)).sort();
    expect(await storedKeys(srv, 'blobs'), 'blob files').to.deep.equal(expected);
  });

  after(async () => {
    try {
      // Never a 500: the registry logs every 5xx at level error.
      const errors = srv.logs.filter(
        (line) => (JSON.parse(line) as { level?: number }).level === 50,
      );
      expect(errors, 'errors logged').to.deep.equal([]);
    } finally {
      await srv.close();
    }
  });

  describe('blob uploads', () => {
    it('refuses a wrong digest on PUT (400 DIGEST_INVALID) and ends the session', async () => {
      const body = Buffer.from('the bytes actually sent');
      const wrong = sha256('other bytes');
      const location = await startSession();
      const res = await raw('PUT', `${location}?digest=${wrong}`, { body });
      expect([res.status, res.code]).to.deep.equal([400, 'DIGEST_INVALID']);
      await expectNoBlob(wrong);
      await expectNoBlob(sha256(body));
      const again = await raw('GET', location);
      expect([again.status, again.code]).to.deep.equal([404, 'BLOB_UPLOAD_UNKNOWN']);
    });

    it('refuses a wrong digest on a monolithic POST ?digest= (400 DIGEST_INVALID)', async () => {
      const body = Buffer.from('monolithic bytes');
      const wrong = sha512('not these');
      const res = await raw('POST', `/v2/${REPO}/blobs/uploads/?digest=${wrong}`, { body });
      expect([res.status, res.code]).to.deep.equal([400, 'DIGEST_INVALID']);
      await expectNoBlob(wrong);
      await expectNoBlob(sha256(body));
    });

    it('refuses a digest of more bytes than were sent (400 DIGEST_INVALID)', async () => {
      const whole = Buffer.alloc(64 * 1024, 7);
      const sent = whole.subarray(0, 1000);
      const location = await startSession();
      const res = await raw('PUT', `${location}?digest=${sha256(whole)}`, { body: sent });
      expect([res.status, res.code]).to.deep.equal([400, 'DIGEST_INVALID']);
      await expectNoBlob(sha256(whole));
      await expectNoBlob(sha256(sent));
    });

    it('keeps nothing of a monolithic POST whose body stops short of its Content-Length', async () => {
      const whole = Buffer.alloc(4 * 1024 * 1024, 1);
      const sent = whole.subarray(0, 1024 * 1024);
      await truncatedRequest(
        'POST',
        `/v2/${REPO}/blobs/uploads/?digest=${sha256(whole)}`,
        whole.length,
        sent,
        () => receiving(srv),
      );
      await until(
        'the server to drop the upload',
        async () =>
          (await stagingFiles()).length === 0 && srv.app.registry.uploads.active.size === 0,
      );
      await expectNoBlob(sha256(whole));
      await expectNoBlob(sha256(sent));
    });

    it('drops a PUT chunk that stops short of its Content-Length and keeps the session at its last offset', async () => {
      const first = Buffer.from('first chunk, committed;');
      const whole = Buffer.alloc(2 * 1024 * 1024, 2);
      const location = await startSession();
      const patched = await raw('PATCH', location, {
        body: first,
        headers: { 'content-range': `0-${first.length - 1}` },
      });
      expect([patched.status, patched.headers.range]).to.deep.equal([202, `0-${first.length - 1}`]);
      const id = location.split('/').at(-1)!;
      const full = Buffer.concat([first, whole]);
      await truncatedRequest(
        'PUT',
        `${location}?digest=${sha256(full)}`,
        whole.length,
        whole.subarray(0, 512 * 1024),
        () => receiving(srv, first.length, id),
      );
      await until('the partial chunk to be dropped', () => settled(srv, id, first.length));
      await expectNoBlob(sha256(full));
      // The session is where it was: finishing with the committed bytes stores exactly those.
      let done: RawResponse;
      do done = await raw('PUT', `${location}?digest=${sha256(first)}`);
      while (done.code === 'BLOB_UPLOAD_INVALID'); // the dropped request may still hold the session a moment
      expect(done.status).to.equal(201);
      await expectBlob(sha256(first), first);
    });

    it('refuses an out-of-order chunk with 416 RANGE_INVALID and the current Range, then goes on', async () => {
      const a = Buffer.from('0123456789');
      const b = Buffer.from('abcdefghij');
      const location = await startSession();
      expect(
        (await raw('PATCH', location, { body: a, headers: { 'content-range': '0-9' } })).status,
      ).to.equal(202);
      for (const range of ['20-29', '5-14', '0-9']) {
        const res = await raw('PATCH', location, { body: b, headers: { 'content-range': range } });
        expect([res.status, res.code, res.headers.range], range).to.deep.equal([
          416,
          'RANGE_INVALID',
          '0-9',
        ]);
      }
      const short = await raw('PATCH', location, {
        body: b.subarray(0, 5),
        headers: { 'content-range': '10-19' },
      });
      expect([short.status, short.code]).to.deep.equal([400, 'SIZE_INVALID']);
      const status = await raw('GET', location);
      expect([status.status, status.headers.range]).to.deep.equal([204, '0-9']);
      const next = await raw('PATCH', location, { body: b, headers: { 'content-range': '10-19' } });
      expect([next.status, next.headers.range]).to.deep.equal([202, '0-19']);
      const whole = Buffer.concat([a, b]);
      expect((await raw('PUT', `${location}?digest=${sha256(whole)}`)).status).to.equal(201);
      await expectBlob(sha256(whole), whole);
    });

    it('answers 404 BLOB_UPLOAD_UNKNOWN for unknown, foreign, finished and malformed sessions', async () => {
      const body = Buffer.from('session bytes');
      const foreign = await startSession('admin/other');
      const finished = await startSession();
      expect((await raw('PUT', `${finished}?digest=${sha256(body)}`, { body })).status).to.equal(
        201,
      );
      await expectBlob(sha256(body), body);
      const ids = [
        `/v2/${REPO}/blobs/uploads/0b8b0e4c-5d1f-4a43-9a61-2c4f9f7d2f10`,
        `/v2/${REPO}/blobs/uploads/${foreign.split('/').at(-1)!}`,
        finished,
        `/v2/${REPO}/blobs/uploads/not-a-uuid`,
        `/v2/${REPO}/blobs/uploads/%2e%2e`,
      ];
      for (const path of ids) {
        for (const [method, extra] of [
          ['GET', {}],
          ['PATCH', { body, headers: { 'content-range': `0-${body.length - 1}` } }],
          ['PUT', { body }],
          ['DELETE', {}],
        ] as const) {
          const target = method === 'PUT' ? `${path}?digest=${sha256(body)}` : path;
          const res = await raw(method, target, extra);
          expect([res.status, res.code], `${method} ${path}`).to.deep.equal([
            404,
            'BLOB_UPLOAD_UNKNOWN',
          ]);
        }
      }
      const cancel = await raw('DELETE', foreign, {
        headers: { authorization: await bearerFor('admin/other') },
      });
      expect(cancel.status).to.equal(204);
    });

    it('refuses malformed digests with 400 DIGEST_INVALID before storing anything', async () => {
      const body = Buffer.from('digest syntax');
      const hex = sha256(body).slice(7);
      const bad = [
        'sha256:xyz',
        `md5:${hex.slice(0, 32)}`,
        `sha256:${hex.toUpperCase()}`,
        `sha256:${hex}0`,
        `sha512:${hex}`,
        hex,
        '',
      ];
      const location = await startSession();
      for (const digest of bad) {
        const put = await raw('PUT', `${location}?digest=${encodeURIComponent(digest)}`, { body });
        expect([put.status, put.code], `PUT ${digest}`).to.deep.equal([400, 'DIGEST_INVALID']);
        const post = await raw(
          'POST',
          `/v2/${REPO}/blobs/uploads/?digest=${encodeURIComponent(digest)}`,
          { body },
        );
        expect([post.status, post.code], `POST ${digest}`).to.deep.equal([400, 'DIGEST_INVALID']);
      }
      const missing = await raw('PUT', location, { body });
      expect([missing.status, missing.code]).to.deep.equal([400, 'DIGEST_INVALID']);
      // A manifest or blob path that is no digest names nothing: 404 to read (distribution
      // answers the same way for HEAD), 400 to delete.
      const manifest = await raw('GET', `/v2/${REPO}/manifests/sha256:xyz`);
      expect([manifest.status, manifest.code]).to.deep.equal([404, 'MANIFEST_UNKNOWN']);
      const unmanifest = await raw('DELETE', `/v2/${REPO}/manifests/sha256:xyz`);
      expect([unmanifest.status, unmanifest.code]).to.deep.equal([400, 'DIGEST_INVALID']);
      const blob = await raw('GET', `/v2/${REPO}/blobs/sha256:xyz`);
      expect([blob.status, blob.code]).to.deep.equal([404, 'BLOB_UNKNOWN']);
      await expectNoBlob(sha256(body));
      expect((await raw('DELETE', location)).status).to.equal(204);
    });

    it('stores and serves sha512 blobs (monolithic and chunked)', async () => {
      const mono = Buffer.from('sha512 in one request');
      const post = await raw('POST', `/v2/${REPO}/blobs/uploads/?digest=${sha512(mono)}`, {
        body: mono,
      });
      expect([post.status, post.headers['docker-content-digest']]).to.deep.equal([
        201,
        sha512(mono),
      ]);
      await expectBlob(sha512(mono), mono);

      const chunked = Buffer.alloc(300 * 1024, 9);
      const location = await startSession();
      expect(
        (await raw('PATCH', location, { body: chunked.subarray(0, 100 * 1024) })).status,
      ).to.equal(202);
      const put = await raw('PUT', `${location}?digest=${sha512(chunked)}`, {
        body: chunked.subarray(100 * 1024),
      });
      expect([put.status, put.headers['docker-content-digest']]).to.deep.equal([
        201,
        sha512(chunked),
      ]);
      await expectBlob(sha512(chunked), chunked);
      const head = await raw('HEAD', `/v2/${REPO}/blobs/${sha512(chunked)}`);
      expect([head.status, head.headers['content-length']]).to.deep.equal([
        200,
        String(chunked.length),
      ]);
      // The same bytes under sha256 are another blob, not this one.
      await expectNoBlob(sha256(chunked));
    });
  });

  describe('blob reads', () => {
    const content = Buffer.from('0123456789');
    before(async () => {
      const { status, digest } = await client.pushBlob(REPO, content);
      expect(status).to.equal(201);
      storedBlobs.add(digest);
    });

    it('serves satisfiable ranges with 206', async () => {
      for (const [range, bytes] of [
        ['bytes=0-4', '01234'],
        ['bytes=8-100', '89'],
        ['bytes=-3', '789'],
        ['bytes=9-', '9'],
      ] as const) {
        const res = await raw('GET', `/v2/${REPO}/blobs/${sha256(content)}`, {
          headers: { range },
        });
        expect([res.status, res.body.toString()], range).to.deep.equal([206, bytes]);
      }
    });

    it('answers 416 RANGE_INVALID with Content-Range for a Range beyond the end or malformed', async () => {
      for (const range of [
        'bytes=10-',
        'bytes=10-20',
        'bytes=100-200',
        'bytes=5-2',
        'bytes=-0',
        'bytes=abc',
        'items=0-1',
      ]) {
        const res = await raw('GET', `/v2/${REPO}/blobs/${sha256(content)}`, {
          headers: { range },
        });
        expect([res.status, res.code, res.headers['content-range']], range).to.deep.equal([
          416,
          'RANGE_INVALID',
          'bytes */10',
        ]);
      }
    });
  });

  describe('manifests', () => {
    const config = Buffer.from('{"architecture":"amd64","os":"linux"}');
    const layer = Buffer.from('a layer for manifest tests');
    const image = (layers: { digest: string; size: number }[], extra: object = {}): object => ({
      schemaVersion: 2,
      mediaType: MANIFEST,
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: sha256(config),
        size: config.length,
      },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...l })),
      ...extra,
    });
    before(async () => {
      for (const blob of [config, layer]) {
        const { status, digest } = await client.pushBlob(REPO, blob);
        expect(status).to.equal(201);
        storedBlobs.add(digest);
      }
    });

    it('refuses a manifest that references a missing blob (400 MANIFEST_BLOB_UNKNOWN)', async () => {
      const body = JSON.stringify(image([{ digest: sha256('never uploaded'), size: 14 }]));
      const res = await client.pushManifest(REPO, 'missing-blob', body);
      expect([res.status, await errorCode(res)]).to.deep.equal([400, 'MANIFEST_BLOB_UNKNOWN']);
      await expectNoManifest('missing-blob');
      await expectNoManifest(sha256(body));
    });

    it('refuses a blob stored in another repository but not in this one (400 MANIFEST_BLOB_UNKNOWN)', async () => {
      const elsewhere = Buffer.from('only in admin/elsewhere');
      const pushed = await client.pushBlob('admin/elsewhere', elsewhere);
      expect(pushed.status).to.equal(201);
      storedBlobs.add(pushed.digest);
      const body = JSON.stringify(image([{ digest: pushed.digest, size: elsewhere.length }]));
      const res = await client.pushManifest(REPO, 'foreign-blob', body);
      expect([res.status, await errorCode(res)]).to.deep.equal([400, 'MANIFEST_BLOB_UNKNOWN']);
      await expectNoManifest('foreign-blob');
    });

    it('refuses an index whose child manifest is missing (400 MANIFEST_BLOB_UNKNOWN)', async () => {
      const body = JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [{ mediaType: MANIFEST, digest: sha256('no such manifest'), size: 16 }],
      });
      const res = await client.pushManifest(
        REPO,
        'missing-child',
        body,
        'application/vnd.oci.image.index.v1+json',
      );
      expect([res.status, await errorCode(res)]).to.deep.equal([400, 'MANIFEST_BLOB_UNKNOWN']);
      await expectNoManifest('missing-child');
    });

    it('refuses invalid manifests with 400 MANIFEST_INVALID', async () => {
      const valid = image([{ digest: sha256(layer), size: layer.length }]);
      const cases: [string, string][] = [
        ['not json', '{"schemaVersion": 2, '],
        ['empty', ''],
        ['an array', '[]'],
        ['a string', '"manifest"'],
        ['no config', JSON.stringify({ schemaVersion: 2, mediaType: MANIFEST, layers: [] })],
        ['bad layer digest', JSON.stringify(image([{ digest: 'sha256:xyz', size: 1 }]))],
        ['negative size', JSON.stringify(image([{ digest: sha256(layer), size: -1 }]))],
        [
          'media type mismatch',
          JSON.stringify({ ...valid, mediaType: 'application/vnd.oci.image.index.v1+json' }),
        ],
        ['schema 1', JSON.stringify({ schemaVersion: 1, name: REPO, tag: 'x', fsLayers: [] })],
      ];
      for (const [name, body] of cases) {
        const type =
          name === 'schema 1'
            ? 'application/vnd.docker.distribution.manifest.v1+prettyjws'
            : MANIFEST;
        const res = await client.pushManifest(REPO, 'invalid', body, type);
        expect([res.status, await errorCode(res)], name).to.deep.equal([400, 'MANIFEST_INVALID']);
      }
      await expectNoManifest('invalid');
    });

    it('refuses a PUT by digest whose content has another digest (400 DIGEST_INVALID)', async () => {
      const body = JSON.stringify(
        image([{ digest: sha256(layer), size: layer.length }], { annotations: { case: 'digest' } }),
      );
      const wrong = sha256(`${body} `);
      const res = await client.pushManifest(REPO, wrong, body);
      expect([res.status, await errorCode(res)]).to.deep.equal([400, 'DIGEST_INVALID']);
      await expectNoManifest(wrong);
      await expectNoManifest(sha256(body));
    });

    it('refuses a manifest over maxManifestBytes with 413 TOO_LARGE, declared or streamed', async () => {
      const padded = (size: number): Buffer => {
        const base = image([{ digest: sha256(layer), size: layer.length }], {
          annotations: { pad: '' },
        });
        const empty = Buffer.byteLength(JSON.stringify(base));
        return Buffer.from(
          JSON.stringify(
            image([{ digest: sha256(layer), size: layer.length }], {
              annotations: { pad: 'x'.repeat(size - empty) },
            }),
          ),
        );
      };
      const over = padded(MAX_MANIFEST + 1);
      expect(over.length).to.equal(MAX_MANIFEST + 1);
      const declared = await raw('PUT', `/v2/${REPO}/manifests/too-big`, {
        body: over,
        headers: { 'content-type': MANIFEST },
      });
      expect([declared.status, declared.code]).to.deep.equal([413, 'TOO_LARGE']);
      const streamed = await raw('PUT', `/v2/${REPO}/manifests/too-big`, {
        body: (function* () {
          for (let i = 0; i < over.length; i += 256 * 1024) yield over.subarray(i, i + 256 * 1024);
        })(),
        headers: { 'content-type': MANIFEST, 'transfer-encoding': 'chunked' },
      });
      expect([streamed.status, streamed.code]).to.deep.equal([413, 'TOO_LARGE']);
      await expectNoManifest('too-big');
      await expectNoManifest(sha256(over));
      // Exactly at the limit is fine.
      const limit = padded(MAX_MANIFEST);
      const ok = await client.pushManifest(REPO, 'at-limit', limit.toString());
      expect([ok.status, ok.headers.get('docker-content-digest')]).to.deep.equal([
        201,
        sha256(limit),
      ]);
    });

    it('accepts sha512 references and sha512 blobs in a manifest', async () => {
      const big = Buffer.from('a sha512 layer');
      const post = await raw('POST', `/v2/${REPO}/blobs/uploads/?digest=${sha512(big)}`, {
        body: big,
      });
      expect(post.status).to.equal(201);
      storedBlobs.add(sha512(big));
      const body = JSON.stringify(image([{ digest: sha512(big), size: big.length }]));
      const put = await client.pushManifest(REPO, sha512(body), body);
      expect([put.status, put.headers.get('docker-content-digest')]).to.deep.equal([
        201,
        sha512(body),
      ]);
      const got = await client.request('GET', `/v2/${REPO}/manifests/${sha512(body)}`);
      expect([got.status, await got.text()]).to.deep.equal([200, body]);
    });
  });

  describe('repository names', () => {
    const invalid = [
      '/v2/Admin/hello/manifests/v1',
      '/v2/admin/HELLO/blobs/uploads/',
      '/v2/../v2/admin/x/manifests/v1',
      '/v2/admin/../etc/manifests/v1',
      '/v2/admin/hello/../../etc/blobs/uploads/',
      '/v2/admin/%2e%2e/etc/blobs/uploads/',
      '/v2/admin/%2E%2E%2Fetc/manifests/v1',
      '/v2/%2e%2e/manifests/v1',
      '/v2/admin/./x/manifests/v1',
      '/v2/admin//x/manifests/v1',
      '/v2/admin/x-/manifests/v1',
      '/v2/admin/x%00y/manifests/v1',
      '/v2/admin/x%zz/manifests/v1',
      '/v2/admin\\..\\x/manifests/v1',
      `/v2/admin/${'a'.repeat(250)}/manifests/v1`,
    ];
    for (const path of invalid) {
      it(`refuses ${path.length > 60 ? `${path.slice(0, 40)}…` : path} with 400 NAME_INVALID`, async () => {
        for (const method of path.endsWith('/uploads/') ? ['POST'] : ['GET', 'PUT']) {
          const res = await raw(
            method,
            path,
            method === 'PUT'
              ? { body: Buffer.from('{}'), headers: { 'content-type': MANIFEST } }
              : {},
          );
          expect([res.status, res.code], `${method} ${path}`).to.deep.equal([400, 'NAME_INVALID']);
        }
      });
    }

    it('refuses a mount from an invalid repository name', async () => {
      const res = await raw(
        'POST',
        `/v2/${REPO}/blobs/uploads/?mount=${sha256('x')}&from=${encodeURIComponent('admin/../etc')}`,
      );
      expect([res.status, res.code]).to.deep.equal([400, 'NAME_INVALID']);
    });

    it('created no repository for any refused name', async () => {
      const res = await client.request('GET', '/v2/_catalog');
      const { repositories } = (await res.json()) as { repositories: string[] };
      expect(
        repositories.every((name) =>
          ['admin/bad', 'admin/elsewhere', 'admin/other'].includes(name),
        ),
        repositories.join(),
      ).to.equal(true);
    });
  });
});
