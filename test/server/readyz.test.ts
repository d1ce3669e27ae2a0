/**
 * /readyz reports the database and blob storage, 200 or 503; /healthz stays liveness. On fs a
 * storage folder that cannot take writes fails it; on S3 a stopped s3rver and an endpoint that
 * never answers fail it promptly, and a burst of probes costs S3 one HEAD, not one each.
 */
import { expect } from 'chai';
import { once } from 'node:events';
import { rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { startTestServer, TEST_STORAGE, type TestServer } from '../helpers/server.js';
import { s3Storage, startS3rver, type S3Server } from '../helpers/s3rver.js';

interface Ready {
  status: number;
  ms: number;
  body: {
    status: 'ok' | 'fail';
    checks: Record<'database' | 'storage', { status: string; error?: string; driver?: string }>;
  };
}

async function readyz(url: string): Promise<Ready> {
  const started = performance.now();
  const res = await fetch(`${url}/readyz`);
  const body = (await res.json()) as Ready['body'];
  return { status: res.status, ms: performance.now() - started, body };
}

/** Probes until `done` holds (each answer is cached about 2 s); fails after `timeoutMs`. */
async function probeUntil(url: string, done: (r: Ready) => boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await readyz(url);
    if (done(r)) return r;
    if (Date.now() > deadline) throw new Error(`readyz stayed ${JSON.stringify(r.body)}`);
    await new Promise((next) => setTimeout(next, 100));
  }
}

describe('server: /readyz and /healthz', function () {
  this.timeout(60_000);

  it(`is ready on the test storage (${TEST_STORAGE}); /healthz is plain liveness`, async () => {
    const srv = await startTestServer();
    try {
      const r = await readyz(srv.url);
      expect([r.status, r.body.status]).to.deep.equal([200, 'ok']);
      expect(r.body.checks.database.status).to.equal('ok');
      expect(r.body.checks.storage).to.include({ status: 'ok', driver: TEST_STORAGE });
      const health = await fetch(`${srv.url}/healthz`);
      expect([health.status, await health.json()]).to.deep.equal([200, { status: 'ok' }]);
    } finally {
      await srv.close();
    }
  });

  describe('on fs', () => {
    let srv: TestServer;
    before(async () => {
      srv = await startTestServer({ storage: { driver: 'fs' } });
    });
    after(() => srv?.close());

    it('fails while the storage folder cannot take writes, and recovers', async () => {
      expect((await readyz(srv.url)).status).to.equal(200);
      const root = join(srv.data, 'storage');
      await rm(root, { recursive: true, force: true });
      await writeFile(root, 'not a folder'); // as root, a file is what permissions cannot fake
      const down = await probeUntil(srv.url, (r) => r.status === 503);
      expect(down.body.status).to.equal('fail');
      expect(down.body.checks.storage).to.include({ status: 'fail', error: 'ENOTDIR' });
      expect(down.body.checks.database.status).to.equal('ok');
      expect((await fetch(`${srv.url}/healthz`)).status, 'still alive').to.equal(200);
      await rm(root);
      await probeUntil(srv.url, (r) => r.status === 200);
    });
  });

  describe('on S3', () => {
    let s3: S3Server;
    let srv: TestServer;
    before(async () => {
      s3 = await startS3rver();
      srv = await startTestServer({ storage: s3Storage(s3, 'ready/') });
    });
    after(async () => {
      await srv?.close();
      await s3?.close();
    });

    it('answers a burst of probes with one HEAD of the probe key', async () => {
      const from = s3.requests.length;
      const answers = await Promise.all(Array.from({ length: 20 }, () => readyz(srv.url)));
      expect(answers.map((r) => r.status)).to.deep.equal(answers.map(() => 200));
      expect(answers[0]!.body.checks.storage).to.include({ status: 'ok', driver: 's3' });
      const heads = s3.requests.slice(from).filter((r) => r.method === 'HEAD');
      expect(heads.map((r) => r.key)).to.deep.equal(['ready/_readyz']);
    });

    it('answers 503 promptly once s3rver is stopped', async () => {
      await s3.close();
      const down = await probeUntil(srv.url, (r) => r.status === 503, 6_000);
      expect(down.ms, 'one probe').to.be.below(3_000);
      expect(down.body.checks.storage.status).to.equal('fail');
      expect(down.body.checks.database.status).to.equal('ok');
      expect(JSON.stringify(down.body), 'no endpoint in the answer').not.to.include('127.0.0.1');
      expect((await fetch(`${srv.url}/healthz`)).status, 'still alive').to.equal(200);
    });
  });

  describe('on an S3 endpoint that never answers', () => {
    let silent: Server;
    const sockets: Socket[] = [];
    let srv: TestServer;
    before(async () => {
      silent = createServer((socket) => void sockets.push(socket)).listen(0, '127.0.0.1');
      await once(silent, 'listening');
      const endpoint = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      srv = await startTestServer({ storage: s3Storage({ endpoint, bucket: 'appshelf' }) });
    });
    after(async () => {
      await srv?.close();
      for (const s of sockets) s.destroy();
      silent?.close();
    });

    it('fails with "timeout" after the check deadline, not when the SDK gives up', async () => {
      const r = await readyz(srv.url);
      expect([r.status, r.body.checks.storage.error]).to.deep.equal([503, 'timeout']);
      expect(r.ms).to.be.within(1_500, 3_500);
      const again = await readyz(srv.url);
      expect([again.status, again.ms < 500], 'cached').to.deep.equal([503, true]);
    });
  });
});
