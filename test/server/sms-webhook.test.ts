/**
 * The `webhook` SMS provider against a real HTTP gateway (issue 3): what the gateway receives,
 * retries on 5xx, a gateway that keeps failing or never answers (503, and the user may ask again
 * at once), and a 4xx that is final.
 */
import { once } from 'node:events';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { sql } from 'drizzle-orm';
import { api, TestClock, type ApiError } from '../helpers/accounts.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { SmsGateway } from '../helpers/sms-gateway.js';
import { sqlRows } from '../helpers/store-sql.js';

const TEMPLATE = 'appshelf: your code is {code}. Do not share it.';

describe('server: SMS webhook provider', function () {
  this.timeout(30_000);
  const clock = new TestClock();
  let gateway: SmsGateway;
  let srv: TestServer;

  before(async () => {
    gateway = await SmsGateway.start('/gateway/send');
    srv = await startTestServer(
      {
        sms: {
          provider: 'webhook',
          url: gateway.url,
          headers: { 'x-gateway-secret': 's3cret' },
          template: TEMPLATE,
          timeoutMs: 2000,
          retries: 2,
        },
      },
      { clock: clock.now },
    );
  });
  after(async () => {
    await srv?.close();
    await gateway?.close();
  });
  beforeEach(() => {
    clock.advance(11 * 60_000);
    gateway.script.length = 0;
    gateway.fallback = 200;
  });

  const askCode = (s: TestServer, phone: string) =>
    api<ApiError>(s, 'POST', '/api/v1/auth/code', { body: { phone } });
  const sentSince = (from: number) => gateway.requests.slice(from);
  /** What the database holds for `phone`: its user and its codes (no API lists codes). */
  const rowsOf = async (s: TestServer, phone: string) => ({
    users: await sqlRows(s.app.store, sql`SELECT * FROM users WHERE phone = ${phone}`),
    codes: await sqlRows(s.app.store, sql`SELECT * FROM login_codes WHERE phone = ${phone}`),
  });

  it('POSTs {to, message, code} with the configured header, and the code received logs the user in', async () => {
    const from = gateway.requests.length;
    const asked = await askCode(srv, '+49 151 1234 0601');
    expect(asked.status, asked.text).to.equal(202);
    const [sent, ...more] = sentSince(from);
    expect(more).to.deep.equal([]);
    expect(sent).to.include({ method: 'POST', url: '/gateway/send' });
    expect(sent!.headers['x-gateway-secret']).to.equal('s3cret');
    expect(sent!.headers['content-type']).to.equal('application/json');
    expect(Object.keys(sent!.body).sort()).to.deep.equal(['code', 'message', 'to']);
    expect(sent!.body.to).to.equal('+4915112340601');
    expect(sent!.body.code).to.match(/^\d{6}$/);
    expect(sent!.body.message).to.equal(TEMPLATE.replace('{code}', sent!.body.code));

    const login = await api<{ user: { name: string } }>(srv, 'POST', '/api/v1/auth/login', {
      body: { phone: '+4915112340601', code: sent!.body.code, name: 'gwuser' },
    });
    expect(login.status, login.text).to.equal(201);
    expect(login.body.user.name).to.equal('gwuser');
  });

  it('retries a gateway that answers 500 twice, then 200: one code, sent three times', async () => {
    gateway.script.push(500, 500, 200);
    const from = gateway.requests.length;
    const asked = await askCode(srv, '+4915112340602');
    expect(asked.status, asked.text).to.equal(202);
    const sent = sentSince(from);
    expect(sent).to.have.length(3);
    expect(new Set(sent.map((r) => r.body.code)).size).to.equal(1);
    const login = await api(srv, 'POST', '/api/v1/auth/login', {
      body: { phone: '+4915112340602', code: sent[0]!.body.code },
    });
    expect(login.status, login.text).to.equal(201);
  });

  it('a gateway that keeps answering 500 gives 503 unavailable, leaves nothing behind, and the user may ask again at once', async () => {
    gateway.fallback = 500;
    const from = gateway.requests.length;
    const failed = await askCode(srv, '+4915112340603');
    expect(failed.status, failed.text).to.equal(503);
    expect(failed.body.error.code).to.equal('unavailable');
    const sent = sentSince(from);
    expect(sent).to.have.length(3);
    expect(await rowsOf(srv, '+4915112340603')).to.deep.equal({ users: [], codes: [] });
    const undelivered = await api<ApiError>(srv, 'POST', '/api/v1/auth/login', {
      body: { phone: '+4915112340603', code: sent[0]!.body.code },
    });
    expect(undelivered.status).to.equal(401);

    gateway.fallback = 200;
    const again = await askCode(srv, '+4915112340603');
    expect(again.status, again.text).to.equal(202);
    const code = gateway.codeFor('+4915112340603');
    const login = await api(srv, 'POST', '/api/v1/auth/login', {
      body: { phone: '+4915112340603', code },
    });
    expect(login.status, login.text).to.equal(201);
    expect((await rowsOf(srv, '+4915112340603')).users).to.have.length(1);
  });

  it('a 400 from the gateway is final: no retry, 503', async () => {
    gateway.script.push(400);
    const from = gateway.requests.length;
    const failed = await askCode(srv, '+4915112340604');
    expect(failed.status, failed.text).to.equal(503);
    expect(failed.body.error.code).to.equal('unavailable');
    expect(sentSince(from)).to.have.length(1);
    expect((await rowsOf(srv, '+4915112340604')).codes).to.deep.equal([]);
    expect((await askCode(srv, '+4915112340604')).status).to.equal(202);
  });

  it('a 429 from the gateway is retried', async () => {
    gateway.script.push(429, 200);
    const from = gateway.requests.length;
    expect((await askCode(srv, '+4915112340605')).status).to.equal(202);
    expect(sentSince(from)).to.have.length(2);
  });

  describe('a gateway that never answers, or is not there', () => {
    let quick: TestServer | undefined;
    let unreachable: TestServer | undefined;

    before(async () => {
      quick = await startTestServer({
        sms: { provider: 'webhook', url: gateway.url, timeoutMs: 200, retries: 1 },
      });
      const closed = createServer().listen(0, '127.0.0.1');
      await once(closed, 'listening');
      const { port } = closed.address() as AddressInfo;
      await new Promise<void>((done) => closed.close(() => done()));
      unreachable = await startTestServer({
        sms: {
          provider: 'webhook',
          url: `http://127.0.0.1:${port}/sms`,
          timeoutMs: 200,
          retries: 1,
        },
      });
    });
    after(async () => {
      await quick?.close();
      await unreachable?.close();
    });

    it('times out each attempt and answers 503 within a bounded time', async () => {
      gateway.fallback = 'hang';
      const from = gateway.requests.length;
      const started = Date.now();
      const failed = await askCode(quick!, '+4915112340606');
      const took = Date.now() - started;
      expect(failed.status, failed.text).to.equal(503);
      expect(failed.body.error.code).to.equal('unavailable');
      // Two attempts of 200 ms and a 200 ms pause between them.
      expect(took).to.be.within(550, 3000);
      expect(sentSince(from)).to.have.length(2);
      expect(await rowsOf(quick!, '+4915112340606')).to.deep.equal({ users: [], codes: [] });
      gateway.fallback = 200;
      expect((await askCode(quick!, '+4915112340606')).status).to.equal(202);
    });

    it('answers 503 when nothing listens at the gateway URL', async () => {
      const failed = await askCode(unreachable!, '+4915112340607');
      expect(failed.status, failed.text).to.equal(503);
      expect(failed.body.error.code).to.equal('unavailable');
      expect((await rowsOf(unreachable!, '+4915112340607')).codes).to.deep.equal([]);
    });
  });
});
