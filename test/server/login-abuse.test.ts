/**
 * Phone login under abuse (issue 3): guessing codes, asking for codes too often, reusing and
 * expired codes, and secrets (codes, session tokens, access keys) that must never show up in the
 * log or in any later API answer. Codes go through the `webhook` provider to a gateway in the
 * test, so no log line has any reason to carry one.
 */
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { expect } from 'chai';
import {
  CODE_TTL_MS,
  CODES_PER_PHONE_PER_DAY,
  MAX_ATTEMPTS,
} from '../../server/accounts/login-codes.js';
import { api, TestClock, type ApiAnswer, type ApiError } from '../helpers/accounts.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { SmsGateway } from '../helpers/sms-gateway.js';

interface LoginBody {
  token: string;
  user: { name: string };
}
interface KeyInfo {
  id: number;
  name: string;
  prefix: string;
  scopes: string[];
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
}

const nodeCrypto = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');

/** A six-digit code that is not `code`. */
const wrongCode = (code: string, n: number): string =>
  ((Number(code) + n) % 1_000_000).toString().padStart(6, '0');

describe('server: phone login abuse and secrets', function () {
  this.timeout(30_000);
  const clock = new TestClock();
  let gateway: SmsGateway;
  let srv: TestServer;
  /** Every secret handed out or tried in this file: none may appear in a log line or a later answer. */
  const secrets = new Set<string>([ADMIN_KEY]);

  before(async () => {
    gateway = await SmsGateway.start();
    // Debug level: the scan at the end then covers every line the server can write.
    const level = process.env.APPSHELF_TEST_LOG;
    process.env.APPSHELF_TEST_LOG = 'debug';
    try {
      srv = await startTestServer(
        {
          sms: {
            provider: 'webhook',
            url: gateway.url,
            headers: { authorization: 'Bearer gateway-secret' },
            timeoutMs: 2000,
            retries: 0,
          },
        },
        { clock: clock.now },
      );
    } finally {
      if (level === undefined) delete process.env.APPSHELF_TEST_LOG;
      else process.env.APPSHELF_TEST_LOG = level;
    }
  });
  after(async () => {
    await srv?.close();
    await gateway?.close();
  });
  // Past the one-code-per-minute and per-address windows, so each test starts unlimited.
  beforeEach(() => clock.advance(11 * 60_000));

  const askCode = (phone: string) =>
    api<ApiError>(srv, 'POST', '/api/v1/auth/code', { body: { phone } });
  const codeFor = async (phone: string): Promise<string> => {
    const asked = await askCode(phone);
    expect(asked.status, asked.text).to.equal(202);
    const code = gateway.codeFor(phone);
    secrets.add(code);
    return code;
  };
  const login = async (
    phone: string,
    code: string,
    name?: string,
  ): Promise<ApiAnswer<LoginBody & ApiError>> => {
    secrets.add(code);
    const res = await api<LoginBody & ApiError>(srv, 'POST', '/api/v1/auth/login', {
      body: { phone, code, ...(name ? { name } : {}) },
    });
    if (res.status < 300) secrets.add(res.body.token);
    return res;
  };
  const expectLimited = (res: ApiAnswer<ApiError>, maxSeconds: number): void => {
    expect(res.status, res.text).to.equal(429);
    expect(res.body.error.code).to.equal('rate_limited');
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(retryAfter).to.be.within(1, maxSeconds);
  };

  describe('guessing', () => {
    it(`${MAX_ATTEMPTS} wrong codes burn the code: the right one then fails too`, async () => {
      const code = await codeFor('+4915112340101');
      for (let i = 1; i <= MAX_ATTEMPTS; i++) {
        const res = await login('+4915112340101', wrongCode(code, i));
        expect(res.status, res.text).to.equal(401);
        expect(res.body.error.code).to.equal('unauthorized');
      }
      const right = await login('+4915112340101', code, 'burnt');
      expect(right.status, right.text).to.equal(401);
      const users = await api<{ users: { phone: string }[] }>(
        srv,
        'GET',
        '/api/v1/admin/users?limit=500',
        { bearer: ADMIN_KEY },
      );
      expect(users.body.users.map((u) => u.phone)).to.not.include('+4915112340101');
      clock.advance(61_000);
      const fresh = await codeFor('+4915112340101');
      expect((await login('+4915112340101', fresh, 'burnt')).status).to.equal(201);
    });

    it(`${MAX_ATTEMPTS - 1} wrong codes still leave the right one working`, async () => {
      const code = await codeFor('+4915112340102');
      for (let i = 1; i < MAX_ATTEMPTS; i++)
        expect((await login('+4915112340102', wrongCode(code, i))).status).to.equal(401);
      expect((await login('+4915112340102', code)).status).to.equal(201);
    });

    it("a code is for its own phone only, and a phone's newer code replaces the older one", async () => {
      const older = await codeFor('+4915112340103');
      expect((await login('+4915112340104', older)).status).to.equal(401);
      clock.advance(61_000);
      const newer = await codeFor('+4915112340103');
      if (newer !== older) expect((await login('+4915112340103', older)).status).to.equal(401);
      expect((await login('+4915112340103', newer)).status).to.equal(201);
    });

    it('a code works once', async () => {
      const code = await codeFor('+4915112340105');
      expect((await login('+4915112340105', code)).status).to.equal(201);
      const again = await login('+4915112340105', code);
      expect(again.status, again.text).to.equal(401);
      expect(again.body.error.code).to.equal('unauthorized');
    });

    it('an expired code fails; a new one works', async () => {
      const code = await codeFor('+4915112340106');
      clock.advance(CODE_TTL_MS + 1000);
      const late = await login('+4915112340106', code);
      expect(late.status, late.text).to.equal(401);
      expect(late.body.error.code).to.equal('unauthorized');
      const fresh = await codeFor('+4915112340106');
      expect((await login('+4915112340106', fresh)).status).to.equal(201);
    });

    it('login attempts from one address are limited (429 with Retry-After)', async () => {
      let last: ApiAnswer<ApiError> | undefined;
      for (let i = 0; i < 40 && last?.status !== 429; i++)
        last = await login(`+49151123402${String(i).padStart(2, '0')}`, '000000');
      expectLimited(last!, 600);
      clock.advance(10 * 60_000);
      expect((await login('+4915112340299', '000000')).status).to.equal(401);
    });
  });

  describe('asking for codes', () => {
    it('one code per phone per minute: 429 with Retry-After, then a code again', async () => {
      await codeFor('+4915112340201');
      expectLimited(await askCode('+4915112340201'), 60);
      expectLimited(await askCode('+49 151 1234 0201'), 60);
      clock.advance(30_000);
      expectLimited(await askCode('+4915112340201'), 30);
      clock.advance(31_000);
      await codeFor('+4915112340201');
    });

    it(`at most ${CODES_PER_PHONE_PER_DAY} codes per phone per day`, async () => {
      for (let i = 0; i < CODES_PER_PHONE_PER_DAY; i++) {
        clock.advance(11 * 60_000);
        await codeFor('+4915112340202');
      }
      clock.advance(11 * 60_000);
      expectLimited(await askCode('+4915112340202'), 86_400);
    });

    it('at most 10 codes per address in 10 minutes, whatever the phones', async () => {
      const sent = gateway.requests.length;
      for (let i = 0; i < 10; i++) await codeFor(`+49151123403${String(i).padStart(2, '0')}`);
      const limited = await askCode('+4915112340399');
      expectLimited(limited, 600);
      expect(gateway.requests.length - sent).to.equal(10);
      clock.advance(10 * 60_000);
      await codeFor('+4915112340399');
    });
  });

  describe('secrets', () => {
    let session: string;
    let pushKey: string;
    let readKey: string;

    before(async () => {
      clock.advance(11 * 60_000);
      const code = await codeFor('+4915112340501');
      const res = await login('+4915112340501', code, 'keeper');
      expect(res.status, res.text).to.equal(201);
      session = res.body.token;
    });

    it('POST /keys shows the secret once; GET /keys lists name, prefix, scopes and times, never the secret', async () => {
      const expiresAt = new Date(clock.now() + 30 * 86_400_000).toISOString();
      const push = await api<KeyInfo & { key: string }>(srv, 'POST', '/api/v1/keys', {
        session,
        headers: { origin: srv.url }, // as the store's own pages send it with the cookie
        body: { name: 'ci', scopes: ['push'] },
      });
      expect(push.status, push.text).to.equal(201);
      expect(push.headers.get('cache-control')).to.equal('no-store');
      expect(push.body.key).to.match(/^ask_/);
      pushKey = push.body.key;
      const read = await api<KeyInfo & { key: string }>(srv, 'POST', '/api/v1/keys', {
        session,
        headers: { origin: srv.url }, // as the store's own pages send it with the cookie
        body: { name: 'laptop', scopes: ['read'], expiresAt },
      });
      expect(read.status, read.text).to.equal(201);
      readKey = read.body.key;
      secrets.add(pushKey).add(readKey);

      // Use both, so lastUsedAt is set.
      expect((await api(srv, 'GET', '/api/v1/users/me', { bearer: pushKey })).status).to.equal(200);
      const basic = Buffer.from(`keeper:${readKey}`).toString('base64');
      const token = await fetch(
        new URL('/v2/token?service=appshelf&scope=repository:keeper/app:pull', srv.url),
        { headers: { authorization: `Basic ${basic}` } },
      );
      expect(token.status).to.equal(200);
      secrets.add(((await token.json()) as { token: string }).token);

      const list = await api<{ keys: KeyInfo[] }>(srv, 'GET', '/api/v1/keys', { session });
      expect(list.status).to.equal(200);
      expect(list.body.keys).to.have.length(2);
      for (const key of list.body.keys)
        expect(Object.keys(key).sort()).to.deep.equal([
          'createdAt',
          'expiresAt',
          'id',
          'lastUsedAt',
          'name',
          'prefix',
          'scopes',
        ]);
      const [ci, laptop] = list.body.keys;
      expect(ci).to.include({
        name: 'ci',
        prefix: pushKey.slice(0, ci!.prefix.length),
        expiresAt: null,
      });
      expect(ci!.scopes).to.deep.equal(['push']);
      expect(laptop).to.include({ name: 'laptop', expiresAt });
      expect(laptop!.scopes).to.deep.equal(['read']);
      for (const key of [ci!, laptop!]) {
        expect(key.prefix.length).to.be.within(4, 16);
        expect(Date.parse(key.createdAt)).to.be.closeTo(clock.now(), 60_000);
        expect(key.lastUsedAt).to.be.a('string');
      }
    });

    it('codes and key secrets are compared with crypto.timingSafeEqual', async () => {
      const seen: [number, number][] = [];
      const original = nodeCrypto.timingSafeEqual;
      nodeCrypto.timingSafeEqual = (a, b) => {
        seen.push([a.byteLength, b.byteLength]);
        return original(a, b);
      };
      syncBuiltinESMExports();
      try {
        clock.advance(61_000);
        const code = await codeFor('+4915112340501');
        seen.length = 0;
        expect((await login('+4915112340501', wrongCode(code, 1))).status).to.equal(401);
        expect(seen, 'a wrong code').to.deep.include([32, 32]);
        seen.length = 0;
        expect((await login('+4915112340501', code)).status).to.equal(200);
        expect(seen, 'the right code').to.deep.include([32, 32]);
        seen.length = 0;
        expect((await api(srv, 'GET', '/api/v1/users/me', { bearer: pushKey })).status).to.equal(
          200,
        );
        expect(seen, 'an access key').to.deep.include([32, 32]);
        seen.length = 0;
        expect(
          (await api(srv, 'GET', '/api/v1/users/me', { bearer: `${pushKey.slice(0, -4)}AAAA` }))
            .status,
        ).to.equal(401);
        expect(seen, 'a wrong access key with a right prefix').to.deep.include([32, 32]);
      } finally {
        nodeCrypto.timingSafeEqual = original;
        syncBuiltinESMExports();
      }
    });

    it('codes, session tokens and keys appear in no log line and no later API answer', async () => {
      const answers: string[] = [];
      const collect = async (path: string, bearer: string): Promise<void> => {
        const res = await api(srv, 'GET', path, { bearer });
        expect(res.status, `${path}: ${res.text}`).to.equal(200);
        answers.push(`${path} ${res.text}`);
      };
      await collect('/api/v1/keys', session);
      await collect('/api/v1/keys', pushKey);
      await collect('/api/v1/users/me', session);
      await collect('/api/v1/users/me', readKey);
      await collect('/api/v1/keys', ADMIN_KEY);
      await collect('/api/v1/users/me', ADMIN_KEY);
      await collect('/api/v1/audit?limit=500', ADMIN_KEY);
      await collect('/api/v1/admin/users?limit=500', ADMIN_KEY);
      for (const code of gateway.codes()) secrets.add(code);
      expect(gateway.codes().length).to.be.greaterThan(20);

      const lines = [...srv.logs, ...answers];
      expect(srv.logs.length).to.be.greaterThan(20);
      for (const secret of secrets) {
        // A code is six digits: look for it standing alone, not inside a timestamp or a digest.
        const pattern = /^\d{6}$/.test(secret)
          ? new RegExp(`(?<![0-9A-Za-z])${secret}(?![0-9A-Za-z])`)
          : undefined;
        const leak = lines.find((line) => (pattern ? pattern.test(line) : line.includes(secret)));
        expect(leak, `secret ${secret.slice(0, 6)}… leaked`).to.equal(undefined);
      }
      // The webhook provider names phones masked in the log, never in full.
      expect(srv.logs.find((l) => l.includes('+4915112340501'))).to.equal(undefined);
    });
  });
});
