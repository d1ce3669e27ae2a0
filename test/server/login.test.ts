/**
 * Phone login from the outside (issue 3), with the default `log` SMS provider: the code is read from
 * the server log as an operator would, then the session works as a cookie and as a bearer token,
 * for the profile, the avatar and logout.
 */
import { expect } from 'chai';
import {
  api,
  codeFromLogs,
  loginWithPhone,
  TestClock,
  type ApiError,
} from '../helpers/accounts.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';

interface LoginBody {
  token: string;
  expiresAt: string;
  created: boolean;
  user: { name: string; role: string; displayName: string; avatarUrl: string | null };
}
interface Me {
  name: string;
  phone: string;
  role: string;
  displayName: string;
  bio: string;
  website: string;
  avatarUrl: string | null;
}

/** A 1×1 PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=',
  'base64',
);

describe('server: phone login, sessions and profile', function () {
  this.timeout(30_000);
  const clock = new TestClock();
  let srv: TestServer;
  /** Alice's first and second sessions. */
  let first: string;
  let second: string;

  before(async () => {
    srv = await startTestServer({}, { clock: clock.now });
  });
  after(async () => {
    await srv?.close();
  });
  // Past the one-code-per-minute and per-address windows, so each test starts unlimited.
  beforeEach(() => clock.advance(11 * 60_000));

  /** Asks for a code for `phone` as typed; the log names the number in E.164 (`e164`). */
  const askCode = async (phone: string, e164 = phone): Promise<string> => {
    const asked = await api<{ sent: boolean }>(srv, 'POST', '/api/v1/auth/code', {
      body: { phone },
    });
    expect(asked.status, asked.text).to.equal(202);
    return codeFromLogs(srv, e164);
  };
  const login = (body: Record<string, string>) =>
    api<LoginBody & ApiError>(srv, 'POST', '/api/v1/auth/login', { body });

  it('sends a code, and the first login creates the user and sets an HttpOnly, SameSite=Strict session cookie', async () => {
    const code = await askCode('+4915112340001');
    expect(code).to.match(/^\d{6}$/);
    const res = await login({ phone: '+4915112340001', code, name: 'alice' });
    expect(res.status, res.text).to.equal(201);
    expect(res.body.created).to.equal(true);
    expect(res.body.token).to.match(/^ses_/);
    expect(res.body.user).to.include({ name: 'alice', role: 'user' });
    expect(res.headers.get('cache-control')).to.equal('no-store');
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).to.match(new RegExp(`^appshelf_session=${res.body.token};`));
    expect(cookie).to.match(/;\s*HttpOnly/i);
    expect(cookie).to.match(/;\s*SameSite=Strict/i);
    expect(cookie).to.match(/;\s*Path=\//i);
    first = res.body.token;
  });

  it('a second login is the same user, answered 200 (a name sent then is ignored)', async () => {
    const code = await askCode('+4915112340001');
    const res = await login({ phone: '+4915112340001', code, name: 'someone-else' });
    expect(res.status, res.text).to.equal(200);
    expect(res.body.created).to.equal(false);
    expect(res.body.user.name).to.equal('alice');
    expect(res.body.token).to.not.equal(first);
    second = res.body.token;
  });

  it('GET /users/me answers to the cookie and to the bearer token, and 401 to neither', async () => {
    const byCookie = await api<Me>(srv, 'GET', '/api/v1/users/me', { session: first });
    const byBearer = await api<Me>(srv, 'GET', '/api/v1/users/me', { bearer: second });
    for (const res of [byCookie, byBearer]) {
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.include({ name: 'alice', phone: '+4915112340001', role: 'user' });
    }
    const anonymous = await api<ApiError>(srv, 'GET', '/api/v1/users/me');
    expect(anonymous.status).to.equal(401);
    expect(anonymous.body.error.code).to.equal('unauthorized');
    const forged = await api<ApiError>(srv, 'GET', '/api/v1/users/me', {
      bearer: `ses_${'A'.repeat(43)}`,
    });
    expect(forged.status).to.equal(401);
  });

  it('PATCH /users/me changes the profile; a bad website is 400 invalid and changes nothing', async () => {
    const change = {
      displayName: 'Alice Liddell',
      bio: 'Curiouser and curiouser.',
      website: 'https://alice.example.org/',
    };
    const res = await api<Me>(srv, 'PATCH', '/api/v1/users/me', { bearer: first, body: change });
    expect(res.status, res.text).to.equal(200);
    expect(res.body).to.include(change);
    for (const website of ['javascript:alert(1)', 'not a url', 'ftp://alice.example.org/']) {
      const bad = await api<ApiError>(srv, 'PATCH', '/api/v1/users/me', {
        bearer: first,
        body: { website, bio: 'changed' },
      });
      expect(bad.status, website).to.equal(400);
      expect(bad.body.error.code).to.equal('invalid');
      expect(bad.body.error.message).to.be.a('string').that.is.not.empty;
    }
    const unknownField = await api<ApiError>(srv, 'PATCH', '/api/v1/users/me', {
      bearer: first,
      body: { role: 'admin' },
    });
    expect(unknownField.status).to.equal(400);
    const me = await api<Me>(srv, 'GET', '/api/v1/users/me', { session: first });
    expect(me.body).to.include({ ...change, role: 'user' });
  });

  it('PUT /users/me/avatar takes a PNG and serves it back; text is 400', async () => {
    const put = await api<Me>(srv, 'PUT', '/api/v1/users/me/avatar', {
      bearer: first,
      body: PNG,
      headers: { 'content-type': 'image/png' },
    });
    expect(put.status, put.text).to.equal(200);
    expect(put.body.avatarUrl).to.equal('/api/v1/users/alice/avatar');
    const text = await api<ApiError>(srv, 'PUT', '/api/v1/users/me/avatar', {
      bearer: first,
      body: 'I am not a picture',
      headers: { 'content-type': 'image/png' },
    });
    expect(text.status).to.equal(400);
    expect(text.body.error.code).to.equal('invalid');

    const avatar = await fetch(new URL('/api/v1/users/alice/avatar', srv.url));
    expect(avatar.status).to.equal(200);
    expect(avatar.headers.get('content-type')).to.equal('image/png');
    expect(avatar.headers.get('x-content-type-options')).to.equal('nosniff');
    expect(Buffer.from(await avatar.arrayBuffer()).equals(PNG)).to.equal(true);
  });

  it('GET /users/<name> is the public profile, without the phone', async () => {
    const res = await api<Me>(srv, 'GET', '/api/v1/users/alice');
    expect(res.status).to.equal(200);
    expect(res.body).to.include({
      name: 'alice',
      displayName: 'Alice Liddell',
      avatarUrl: '/api/v1/users/alice/avatar',
    });
    expect(res.body).to.not.have.property('phone');
    expect(res.text).to.not.include('4915112340001');
    expect((await api(srv, 'GET', '/api/v1/users/nobody-here')).status).to.equal(404);
    expect((await api(srv, 'GET', '/api/v1/users/nobody-here/avatar')).status).to.equal(404);
  });

  it('logout ends that session only: its token and cookie then answer 401', async () => {
    const out = await api(srv, 'POST', '/api/v1/auth/logout', { bearer: second });
    expect(out.status).to.equal(204);
    expect(out.headers.get('set-cookie') ?? '').to.match(/^appshelf_session=;/);
    expect((await api(srv, 'GET', '/api/v1/users/me', { bearer: second })).status).to.equal(401);
    expect((await api(srv, 'GET', '/api/v1/users/me', { session: second })).status).to.equal(401);
    expect((await api(srv, 'POST', '/api/v1/auth/logout', { bearer: second })).status).to.equal(
      401,
    );
    expect((await api(srv, 'GET', '/api/v1/users/me', { session: first })).status).to.equal(200);
  });

  describe('phone numbers', () => {
    it('"+49 151 1234 5678" and "+4915112345678" are the same user', async () => {
      const code = await askCode('+49 151 1234 5678', '+4915112345678');
      const created = await login({ phone: '+4915112345678', code, name: 'bob' });
      expect(created.status, created.text).to.equal(201);
      clock.advance(61_000);
      const again = await loginWithPhone(srv, '+4915112345678');
      expect(again).to.include({ status: 200, name: 'bob' });
      clock.advance(61_000);
      const spaced = await askCode('+49 151 1234 5678', '+4915112345678');
      const third = await login({ phone: ' +49 151 1234 5678 ', code: spaced });
      expect(third.status, third.text).to.equal(200);
      expect(third.body.user.name).to.equal('bob');
    });

    for (const phone of ['12345', '4915112345678', '+49 12', '+1 000 000 0000', 'call me']) {
      it(`refuses "${phone}" with 400 invalid`, async () => {
        const asked = await api<ApiError>(srv, 'POST', '/api/v1/auth/code', { body: { phone } });
        expect(asked.status, asked.text).to.equal(400);
        expect(asked.body.error.code).to.equal('invalid');
        const login = await api<ApiError>(srv, 'POST', '/api/v1/auth/login', {
          body: { phone, code: '123456' },
        });
        expect(login.status, login.text).to.equal(400);
        expect(login.body.error.code).to.equal('invalid');
      });
    }

    it('numbers of several countries sign up, each as its own user with a generated name', async () => {
      const names = new Set<string>();
      for (const phone of [
        '+8613800138000',
        '+14155552671',
        '+447911123456',
        '+819012345678',
        '+5511987654321',
        '+919876543210',
      ]) {
        const user = await loginWithPhone(srv, phone);
        expect(user.status, phone).to.equal(201);
        expect(user.name).to.match(/^user-[0-9a-f]{8}$/);
        const me = await api<Me>(srv, 'GET', '/api/v1/users/me', { bearer: user.token });
        expect(me.body.phone).to.equal(phone);
        names.add(user.name);
      }
      expect(names.size).to.equal(6);
    });
  });

  describe('the name chosen at first login', () => {
    it('a taken name is 409 and does not spend the code: the same code works with another name', async () => {
      const code = await askCode('+33612345678');
      for (const taken of ['alice', 'bob']) {
        const res = await login({ phone: '+33612345678', code, name: taken });
        expect(res.status, res.text).to.equal(409);
        expect(res.body.error.code).to.equal('conflict');
      }
      const res = await login({ phone: '+33612345678', code, name: 'carol' });
      expect(res.status, res.text).to.equal(201);
      expect(res.body.user.name).to.equal('carol');
    });

    it('an invalid or reserved name is 400 and does not spend the code either', async () => {
      const code = await askCode('+33612345679');
      for (const name of [
        'Dave',
        'd',
        'dave!',
        '-dave',
        'dave--',
        'admin',
        'api',
        'x'.repeat(33),
      ]) {
        const res = await login({ phone: '+33612345679', code, name });
        expect(res.status, `${name}: ${res.text}`).to.equal(400);
        expect(res.body.error.code).to.equal('invalid');
      }
      const res = await login({ phone: '+33612345679', code, name: 'dave' });
      expect(res.status, res.text).to.equal(201);
      expect(res.body.user.name).to.equal('dave');
    });

    it("a failed sign-up leaves no user behind: the taken name's owner is unchanged", async () => {
      const alice = await api<Me>(srv, 'GET', '/api/v1/users/alice');
      expect(alice.body.displayName).to.equal('Alice Liddell');
      const admin = await api<{ users: { name: string; phone: string | null }[] }>(
        srv,
        'GET',
        '/api/v1/admin/users',
        { bearer: ADMIN_KEY },
      );
      expect(admin.status).to.equal(200);
      const phones = admin.body.users.map((u) => u.phone);
      expect(phones.filter((p) => p === '+33612345678')).to.have.length(1);
      expect(phones.filter((p) => p === '+33612345679')).to.have.length(1);
    });
  });
});
