/**
 * Slow and stalled uploads against a store whose idle timeout is 1 s (issue 13 §5): a PATCH that
 * keeps sending completes however long it takes (there is no whole-request timeout), and a PATCH
 * that stops sending is cut after the idle timeout, its session resumable from the bytes received.
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { RawConnection, sleep, until } from '../helpers/raw-connection.js';
import { TestRegistryClient, sha256 } from '../helpers/registry-client.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const REPO = 'admin/slow';
const IDLE_SECONDS = 1;
const PUSH = `repository:${REPO}:pull,push`;

describe('registry: slow and idle uploads', function () {
  this.timeout(40_000);
  let srv: TestServer;
  let client: TestRegistryClient;
  let bearer: string;

  before(async () => {
    srv = await startTestServer({ server: { idleTimeoutSeconds: IDLE_SECONDS } });
    client = new TestRegistryClient(srv.url);
    bearer = `Bearer ${await client.token(PUSH)}`;
  });
  after(() => srv.close());

  async function startSession(): Promise<string> {
    const res = await client.request('POST', `/v2/${REPO}/blobs/uploads/`);
    expect(res.status).to.equal(202);
    return res.headers.get('location')!;
  }

  /** Opens a streamed PATCH (chunked, no Content-Range) on a fresh connection. */
  async function openPatch(location: string): Promise<RawConnection> {
    const conn = await RawConnection.open(srv.url);
    conn.head('PATCH', location, {
      Authorization: bearer,
      'Content-Type': 'application/octet-stream',
      'Transfer-Encoding': 'chunked',
    });
    return conn;
  }

  async function finishAndPull(location: string, whole: Buffer): Promise<void> {
    const put = await client.request('PUT', `${location}?digest=${sha256(whole)}`);
    expect(put.status, await put.clone().text()).to.equal(201);
    const got = await client.request('GET', `/v2/${REPO}/blobs/${sha256(whole)}`);
    expect(got.status).to.equal(200);
    expect(Buffer.from(await got.arrayBuffer()).equals(whole)).to.equal(true);
  }

  it('completes a PATCH that keeps sending for many idle timeouts: no whole-request timeout', async () => {
    const location = await startSession();
    const conn = await openPatch(location);
    const sent: Buffer[] = [];
    const started = Date.now();
    // A byte stream that never pauses for a whole idle timeout, for 8 idle timeouts and more.
    while (Date.now() - started < 8000) {
      const piece = randomBytes(4096);
      conn.chunk(piece);
      sent.push(piece);
      await sleep(300);
    }
    conn.chunk(Buffer.alloc(0));
    const res = await conn.response();
    const whole = Buffer.concat(sent);
    expect([res.status, res.headers.range]).to.deep.equal([202, `0-${whole.length - 1}`]);
    conn.destroy();
    await finishAndPull(location, whole);
    // node's default cuts any request after 300 s, a 10-minute upload included.
    expect(srv.server.requestTimeout, 'whole-request timeout').to.equal(0);
  });

  it('cuts a PATCH that sends nothing for the idle timeout; the session resumes from the bytes received', async () => {
    const location = await startSession();
    const whole = randomBytes(300 * 1024);
    const first = whole.subarray(0, 100_000);
    const conn = await openPatch(location);
    conn.chunk(first);
    const stalled = Date.now();
    const ended = await Promise.race([conn.ended, sleep(6000).then(() => undefined)]);
    expect(ended, 'the server closed the idle connection').to.not.equal(undefined);
    expect(ended!.at - stalled).to.be.within(IDLE_SECONDS * 1000 - 100, IDLE_SECONDS * 1000 + 3000);
    conn.destroy();

    // As the OCI spec resumes an upload: GET the upload URL, read Range, send the rest from there.
    let range: string | null = null;
    await until('the session to report the received bytes', async () => {
      const status = await client.request('GET', location, { scope: PUSH });
      range = status.headers.get('range');
      return status.status === 204 && range === `0-${first.length - 1}`;
    }).catch(() => expect(range, 'Range after the cut').to.equal(`0-${first.length - 1}`));
    const rest = await client.request('PATCH', location, {
      body: whole.subarray(first.length),
      headers: {
        'content-type': 'application/octet-stream',
        'content-range': `${first.length}-${whole.length - 1}`,
      },
    });
    expect([rest.status, rest.headers.get('range')]).to.deep.equal([202, `0-${whole.length - 1}`]);
    await finishAndPull(location, whole);
  });

  it('closes a connection that opens and sends nothing after the idle timeout', async () => {
    const conn = await RawConnection.open(srv.url);
    const opened = Date.now();
    const ended = await Promise.race([conn.ended, sleep(6000).then(() => undefined)]);
    expect(ended, 'the server closed the silent connection').to.not.equal(undefined);
    expect(ended!.at - opened).to.be.within(IDLE_SECONDS * 1000 - 100, IDLE_SECONDS * 1000 + 3000);
  });
});
