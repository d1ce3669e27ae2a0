/** Store-API helpers for the account tests: JSON calls with a session or key, phone login, a movable clock. */
import { expect } from 'chai';
import type { TestServer } from './server.js';

export interface ApiAnswer<T = unknown> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

export interface ApiCall {
  body?: unknown;
  /** Sent as `Authorization: Bearer <token>` (a session token or an access key). */
  bearer?: string;
  /** The session cookie's value, sent as `Cookie: appshelf_session=<value>`. */
  session?: string;
  headers?: Record<string, string>;
}

/** One call to the store API; the body is parsed when it is JSON. */
export async function api<T = unknown>(
  srv: Pick<TestServer, 'url'>,
  method: string,
  path: string,
  call: ApiCall = {},
): Promise<ApiAnswer<T>> {
  const headers: Record<string, string> = { ...call.headers };
  if (call.body !== undefined) headers['content-type'] ??= 'application/json';
  if (call.bearer) headers.authorization = `Bearer ${call.bearer}`;
  if (call.session) headers.cookie = `appshelf_session=${call.session}`;
  const res = await fetch(new URL(path, srv.url), {
    method,
    headers,
    ...(call.body !== undefined
      ? {
          body:
            Buffer.isBuffer(call.body) || typeof call.body === 'string'
              ? call.body
              : JSON.stringify(call.body),
        }
      : {}),
  });
  const text = await res.text();
  let body: unknown = text;
  if (res.headers.get('content-type')?.includes('json') && text) body = JSON.parse(text);
  return { status: res.status, body: body as T, text, headers: res.headers };
}

/** The store API's error body. */
export interface ApiError {
  error: { code: string; message: string; details?: unknown };
}

/** The code in a `log` provider line for `phone`: the plain line an operator reads out. */
export function codeInLine(line: string, phone: string): string | undefined {
  const found = /^appshelf: verification code for (\+\d+) is (\d+) /.exec(line);
  return found?.[1] === phone ? found[2] : undefined;
}

/** The code of the newest `log` provider line for `phone` (E.164), read as an operator reads it. */
export function codeFromLogs(srv: Pick<TestServer, 'logs'>, phone: string): string {
  for (let i = srv.logs.length - 1; i >= 0; i--) {
    const code = codeInLine(srv.logs[i]!, phone);
    if (code) return code;
  }
  throw new Error(`no verification code for ${phone} in the server output`);
}

/** Asks for a code (log provider) and logs in with it; returns the session token and the user's name. */
export async function loginWithPhone(
  srv: TestServer,
  phone: string,
  name?: string,
): Promise<{ token: string; name: string; status: number }> {
  const asked = await api(srv, 'POST', '/api/v1/auth/code', { body: { phone } });
  expect(asked.status, asked.text).to.equal(202);
  const code = codeFromLogs(srv, phone);
  const login = await api<{ token: string; user: { name: string } }>(
    srv,
    'POST',
    '/api/v1/auth/login',
    { body: { phone, code, ...(name ? { name } : {}) } },
  );
  expect(login.status, login.text).to.be.oneOf([200, 201]);
  return { token: login.body.token, name: login.body.user.name, status: login.status };
}

/** A clock that runs with real time and can be moved on, for createApp's `clock`. */
export class TestClock {
  private offset = 0;
  readonly now = (): number => Date.now() + this.offset;
  advance(ms: number): void {
    this.offset += ms;
  }
}

/**
 * Organisation `org` owned by a new user, with a second new user who joined it as a maintainer
 * (invited by the owner, accepted): the two sessions.
 */
export async function orgWithMaintainer(
  srv: TestServer,
  org: string,
  owner: { phone: string; name: string },
  maintainer: { phone: string; name: string },
): Promise<{ ownerSession: string; maintainerSession: string }> {
  const ownerSession = (await loginWithPhone(srv, owner.phone, owner.name)).token;
  const maintainerSession = (await loginWithPhone(srv, maintainer.phone, maintainer.name)).token;
  const made = await api(srv, 'POST', '/api/v1/orgs', {
    bearer: ownerSession,
    body: { name: org },
  });
  expect(made.status, made.text).to.equal(201);
  const invited = await api(srv, 'PUT', `/api/v1/orgs/${org}/members/${maintainer.name}`, {
    bearer: ownerSession,
    body: { role: 'maintainer' },
  });
  expect(invited.status, invited.text).to.equal(202);
  const joined = await api(srv, 'POST', `/api/v1/users/me/invitations/${org}/accept`, {
    bearer: maintainerSession,
  });
  expect(joined.status, joined.text).to.be.within(200, 204);
  return { ownerSession, maintainerSession };
}
