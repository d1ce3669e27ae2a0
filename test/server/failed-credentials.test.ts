/**
 * Failed credentials are rate-limited per address and per user name (issue 13 §5) at the four
 * doors: the registry's token endpoint (basic and password grant), the store API (a bearer access
 * key), the Rainstore API a Rainbond console calls (its raw access key header) and phone login. Past the limit every attempt, a right one included, gets 429 with
 * Retry-After until the window ends; each failure and each refusal shows in the audit API.
 * Clients come from different loopback addresses (127.0.0.x), so the per-address limit can be told
 * apart from the per-name one.
 */
import { expect } from 'chai';
import { Agent, fetch as undiciFetch } from 'undici';
import { api, codeFromLogs, loginWithPhone, TestClock } from '../helpers/accounts.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';

const PER_ADDRESS = 6;
const PER_NAME = 3;
const WINDOW_SECONDS = 600;

interface Answer {
  status: number;
  retryAfter: string | null;
  code: string | undefined;
}
interface AuditEntry {
  actor: string;
  action: string;
  address: string;
  detail: Record<string, unknown>;
}

describe('server: failed credentials are rate-limited per address and per name', function () {
  this.timeout(30_000);
  const clock = new TestClock();
  let srv: TestServer;
  let kimKey: string;
  let kimSession: string;
  const agents = new Map<string, Agent>();

  before(async () => {
    srv = await startTestServer(
      {
        auth: {
          rateLimit: {
            failuresPerAddress: PER_ADDRESS,
            failuresPerName: PER_NAME,
            windowSeconds: WINDOW_SECONDS,
          },
        },
      },
      { clock: clock.now },
    );
    const kim = await loginWithPhone(srv, '+4915112341401', 'kim');
    kimSession = kim.token;
    const key = await api<{ key: string }>(srv, 'POST', '/api/v1/keys', {
      bearer: kimSession,
      body: { name: 'ci', scopes: ['push'] },
    });
    expect(key.status, key.text).to.equal(201);
    kimKey = key.body.key;
  });
  after(async () => {
    await srv.close();
    await Promise.all([...agents.values()].map((a) => a.close()));
  });
  // Each test starts in a fresh window.
  beforeEach(() => clock.advance(WINDOW_SECONDS * 1000 + 1000));

  /** A request from loopback address `from` (127.0.0.x). */
  async function call(
    from: string,
    method: string,
    path: string,
    init: { headers?: Record<string, string>; body?: string } = {},
  ): Promise<Answer> {
    let agent = agents.get(from);
    if (!agent) agents.set(from, (agent = new Agent({ localAddress: from })));
    const res = await undiciFetch(new URL(path, srv.url), { method, ...init, dispatcher: agent });
    const text = await res.text();
    let code: string | undefined;
    if (res.headers.get('content-type')?.includes('json') && text) {
      const json = JSON.parse(text) as { errors?: { code: string }[]; error?: { code: string } };
      code = json.errors?.[0]?.code ?? json.error?.code;
    }
    return { status: res.status, retryAfter: res.headers.get('retry-after'), code };
  }
  const basic = (user: string, password: string): string =>
    `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  const token = (from: string, user: string, password: string): Promise<Answer> =>
    call(from, 'GET', '/v2/token?service=appshelf&scope=repository:kim/app:pull', {
      headers: { authorization: basic(user, password) },
    });
  const passwordGrant = (from: string, user: string, password: string): Promise<Answer> =>
    call(from, 'POST', '/v2/token', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'password',
        username: user,
        password,
        service: 'appshelf',
      }).toString(),
    });
  const me = (from: string, bearer: string): Promise<Answer> =>
    call(from, 'GET', '/api/v1/users/me', { headers: { authorization: `Bearer ${bearer}` } });
  const rainstore = (from: string, key: string): Promise<Answer> =>
    call(from, 'GET', '/app-server/openapi/info', { headers: { authorization: key } });
  const phoneLogin = (from: string, phone: string, code: string): Promise<Answer> =>
    call(from, 'POST', '/api/v1/auth/login', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ phone, code }),
    });
  const expectLimited = (answer: Answer, code: string, what: string): void => {
    expect([answer.status, answer.code], what).to.deep.equal([429, code]);
    expect(Number(answer.retryAfter), `${what}: Retry-After`).to.be.within(1, WINDOW_SECONDS);
  };
  const audit = async (action: string): Promise<AuditEntry[]> => {
    const res = await api<{ entries: AuditEntry[] }>(
      srv,
      'GET',
      `/api/v1/audit?action=${action}&limit=500`,
      { bearer: ADMIN_KEY },
    );
    expect(res.status, res.text).to.equal(200);
    return res.body.entries;
  };

  it('/v2/token: wrong keys for one name lock that name from any address until the window ends', async () => {
    for (let i = 0; i < PER_NAME; i++) {
      const from = `127.0.0.${10 + i}`; // a different address each time: only the name adds up
      expect((await token(from, 'kim', `ask_wrong-key-number-${i}-abcdefgh`)).status).to.equal(401);
    }
    expectLimited(await token('127.0.0.20', 'kim', kimKey), 'TOOMANYREQUESTS', 'the right key');
    expectLimited(
      await passwordGrant('127.0.0.20', 'kim', kimKey),
      'TOOMANYREQUESTS',
      'password grant',
    );
    expectLimited(await me('127.0.0.20', kimKey), 'rate_limited', "kim's key at the API");
    // Another name from the same address is not affected.
    expect((await token('127.0.0.20', 'admin', ADMIN_KEY)).status).to.equal(200);
    clock.advance(WINDOW_SECONDS * 1000);
    expect((await token('127.0.0.20', 'kim', kimKey)).status).to.equal(200);

    const failed = (await audit('token.failed')).filter((e) => e.actor === 'kim');
    expect(failed.map((e) => e.address).sort()).to.deep.equal([
      '127.0.0.10',
      '127.0.0.11',
      '127.0.0.12',
    ]);
    const refused = await audit('auth.rate_limited');
    expect(refused.some((e) => e.actor === 'kim' && e.detail.by === 'name')).to.equal(true);
  });

  it('failures from one address add up across doors and names; other addresses are not affected', async () => {
    const from = '127.0.0.30';
    const tries = [
      () => token(from, 'nobody-1', 'ask_not-a-key-0123456789'),
      () => passwordGrant(from, 'nobody-2', 'ask_not-a-key-0123456789'),
      () => me(from, 'ask_not-a-key-0123456789'),
      () => me(from, 'ses_not-a-session-0123456789'),
      () => token(from, 'nobody-3', 'short'),
      () => phoneLogin(from, '+4915112341499', '123456'),
    ];
    expect(tries).to.have.length(PER_ADDRESS);
    for (const [i, attempt] of tries.entries())
      expect((await attempt()).status, `failure ${i + 1}`).to.equal(401);

    expectLimited(await token(from, 'admin', ADMIN_KEY), 'TOOMANYREQUESTS', '/v2/token');
    expectLimited(await me(from, ADMIN_KEY), 'rate_limited', '/api/v1');
    expectLimited(await phoneLogin(from, '+4915112341498', '123456'), 'rate_limited', 'login');
    // A request without credentials is no attempt to sign in: it goes on anonymously.
    expect((await call(from, 'GET', '/api/v1/search?q=x')).status).to.equal(200);

    expect((await token('127.0.0.31', 'admin', ADMIN_KEY)).status).to.equal(200);
    expect((await me('127.0.0.31', ADMIN_KEY)).status).to.equal(200);

    const refused = (await audit('auth.rate_limited')).filter((e) => e.address === from);
    expect(refused.length).to.be.at.least(1);
    expect(refused.every((e) => e.detail.by === 'address')).to.equal(true);
    expect((await audit('api.failed')).filter((e) => e.address === from)).to.have.length(2);
  });

  it("/api/v1: wrong keys that carry a user's key prefix count against that user", async () => {
    const forged = (i: number): string => `${kimKey.slice(0, 12)}${'x'.repeat(19)}${i}`;
    for (let i = 0; i < PER_NAME; i++)
      expect((await me(`127.0.0.${40 + i}`, forged(i))).status).to.equal(401);
    expectLimited(await me('127.0.0.50', kimKey), 'rate_limited', "kim's key");
    expectLimited(await token('127.0.0.50', 'kim', kimKey), 'TOOMANYREQUESTS', 'kim at /v2/token');
    // A session is no guessable credential: kim signed in keeps working.
    expect((await me('127.0.0.50', kimSession)).status).to.equal(200);
    const failed = (await audit('api.failed')).filter((e) => e.actor === 'kim');
    expect(failed).to.have.length(PER_NAME);
  });

  it("/app-server: wrong access keys count like the API's; past the limit a key gets 429, no key still reads", async () => {
    const forged = (i: number): string => `${kimKey.slice(0, 12)}${'y'.repeat(19)}${i}`;
    // A dead key reads as anonymous on Rainstore read routes, but it is a failed guess all the same.
    for (let i = 0; i < PER_NAME; i++)
      expect((await rainstore(`127.0.0.${80 + i}`, forged(i))).status).to.equal(200);
    const right = await rainstore('127.0.0.90', kimKey);
    expect([right.status, Number(right.retryAfter) > 0], "kim's key").to.deep.equal([429, true]);
    expectLimited(await me('127.0.0.90', kimKey), 'rate_limited', "kim's key at /api/v1");
    // Without a key the console still browses.
    expect((await call('127.0.0.90', 'GET', '/app-server/openapi/info')).status).to.equal(200);
    const failed = (await audit('rainstore.failed')).filter((e) => e.actor === 'kim');
    expect(failed.map((e) => e.address).sort()).to.deep.equal([
      '127.0.0.80',
      '127.0.0.81',
      '127.0.0.82',
    ]);
  });

  it('login: wrong codes for one phone lock that phone; its right code then waits for the window', async () => {
    const phone = '+4915112341402';
    const asked = await call('127.0.0.60', 'POST', '/api/v1/auth/code', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ phone }),
    });
    expect(asked.status).to.equal(202);
    const code = codeFromLogs(srv, phone);
    const wrong = (i: number): string =>
      ((Number(code) + i) % 1_000_000).toString().padStart(6, '0');
    for (let i = 1; i <= PER_NAME; i++)
      expect((await phoneLogin(`127.0.0.${60 + i}`, phone, wrong(i))).status).to.equal(401);
    expectLimited(await phoneLogin('127.0.0.70', phone, code), 'rate_limited', 'the right code');
    expect((await phoneLogin('127.0.0.70', '+4915112341403', '000000')).status).to.equal(401);

    const failed = (await audit('login.failed')).filter((e) => e.address.startsWith('127.0.0.6'));
    expect(failed).to.have.length(PER_NAME);
    const refused = (await audit('auth.rate_limited')).filter((e) => e.address === '127.0.0.70');
    expect(refused.map((e) => e.detail.via)).to.deep.equal(['login']);
  });
});
