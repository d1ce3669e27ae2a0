/**
 * Two edges of the OCI distribution spec, from the outside (fetch against a started store): a
 * manifest reference that cannot exist is simply unknown (404), and a chunk that does not start
 * at the upload's offset is 416 with the current Range, after which the upload goes on.
 */
import { expect } from 'chai';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { TestRegistryClient, errorCode, sha256 } from '../helpers/registry-client.js';

const REPO = 'admin/edges';
/** An upload's status (GET) needs push access, as every upload request does. */
const UPLOAD_SCOPE = `repository:${REPO}:pull,push`;

/** The first OCI error code of a response, or none (a success has no error body). */
async function codeOf(res: Response): Promise<string | undefined> {
  return res.status >= 400 ? errorCode(res) : undefined;
}

describe('registry: OCI spec edges', () => {
  let srv: TestServer;
  let client: TestRegistryClient;
  before(async () => {
    srv = await startTestServer();
    client = new TestRegistryClient(srv.url);
    await client.pushImage(REPO, 'v1');
  });
  after(() => srv.close());

  describe('a manifest reference that cannot exist', () => {
    // `.INVALID_MANIFEST_NAME` is the conformance suite's "nonexistent manifest"; the others are
    // no tag and no digest either (a bad digest, an unknown algorithm, a tag over 128 characters).
    const references = [
      '.INVALID_MANIFEST_NAME',
      '-leading-dash',
      'sha256:abc',
      `sha384:${'a'.repeat(96)}`,
      'a'.repeat(129),
    ];
    for (const reference of references) {
      it(`answers GET and HEAD of ${reference.slice(0, 30)} with 404 MANIFEST_UNKNOWN`, async () => {
        for (const repo of [REPO, 'admin/never-pushed']) {
          const path = `/v2/${repo}/manifests/${reference}`;
          const got = await client.request('GET', path);
          expect([got.status, await errorCode(got)], `GET ${path}`).to.deep.equal([
            404,
            'MANIFEST_UNKNOWN',
          ]);
          const head = await client.request('HEAD', path);
          expect([head.status, await head.text()], `HEAD ${path}`).to.deep.equal([404, '']);
        }
      });
    }

    it('still refuses to store a manifest under such a reference (400)', async () => {
      const res = await client.pushManifest(REPO, '.INVALID_MANIFEST_NAME', '{}');
      expect([res.status, await errorCode(res)]).to.deep.equal([400, 'MANIFEST_INVALID']);
    });
  });

  describe('a chunk that does not start at the upload offset', () => {
    const first = Buffer.from('0123456789');
    const last = Buffer.from('abcdefghij');
    const whole = Buffer.concat([first, last]);

    /** A session that already holds `first` (bytes 0-9). */
    async function sessionAtTen(): Promise<string> {
      const start = await client.request('POST', `/v2/${REPO}/blobs/uploads/`);
      expect(start.status).to.equal(202);
      const location = start.headers.get('location')!;
      const patched = await client.request('PATCH', location, {
        body: first,
        headers: { 'content-type': 'application/octet-stream', 'content-range': '0-9' },
      });
      expect([patched.status, patched.headers.get('range')]).to.deep.equal([202, '0-9']);
      return location;
    }

    async function expectStored(): Promise<void> {
      const blob = await client.request('GET', `/v2/${REPO}/blobs/${sha256(whole)}`);
      expect(blob.status).to.equal(200);
      const bytes = Buffer.from(await blob.arrayBuffer());
      expect(sha256(bytes)).to.equal(sha256(whole));
    }

    for (const method of ['PATCH', 'PUT'] as const) {
      it(`answers a ${method} chunk out of place with 416 and Range 0-9, then takes the right one`, async () => {
        const location = await sessionAtTen();
        const target = (path: string): string =>
          method === 'PUT' ? `${path}?digest=${sha256(whole)}` : path;
        for (const range of ['20-29', '5-14', '0-9']) {
          const res = await client.request(method, target(location), {
            body: last,
            headers: { 'content-type': 'application/octet-stream', 'content-range': range },
          });
          expect([res.status, await codeOf(res), res.headers.get('range')], range).to.deep.equal([
            416,
            'RANGE_INVALID',
            '0-9',
          ]);
        }
        const status = await client.request('GET', location, { scope: UPLOAD_SCOPE });
        expect([status.status, status.headers.get('range')]).to.deep.equal([204, '0-9']);
        const right = await client.request(method, target(location), {
          body: last,
          headers: { 'content-type': 'application/octet-stream', 'content-range': '10-19' },
        });
        if (method === 'PATCH') {
          expect([right.status, right.headers.get('range')]).to.deep.equal([202, '0-19']);
          const done = await client.request('PUT', `${location}?digest=${sha256(whole)}`);
          expect(done.status).to.equal(201);
        } else {
          expect([right.status, right.headers.get('docker-content-digest')]).to.deep.equal([
            201,
            sha256(whole),
          ]);
        }
        await expectStored();
      });
    }

    it('answers a closing PUT whose chunk is shorter than its Content-Range with 400, and keeps the session', async () => {
      const location = await sessionAtTen();
      const short = await client.request('PUT', `${location}?digest=${sha256(whole)}`, {
        body: last.subarray(0, 5),
        headers: { 'content-type': 'application/octet-stream', 'content-range': '10-19' },
      });
      expect([short.status, await codeOf(short)]).to.deep.equal([400, 'SIZE_INVALID']);
      const status = await client.request('GET', location, { scope: UPLOAD_SCOPE });
      expect([status.status, status.headers.get('range')]).to.deep.equal([204, '0-9']);
      const done = await client.request('PUT', `${location}?digest=${sha256(whole)}`, {
        body: last,
        headers: { 'content-type': 'application/octet-stream', 'content-range': '10-19' },
      });
      expect(done.status).to.equal(201);
      await expectStored();
    });
  });
});
