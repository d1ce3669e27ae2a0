/**
 * Registry authentication: Basic challenges, and the Docker token flow (a `Bearer` challenge
 * names a realm; the client gets a token there for the scopes it needs, with basic credentials
 * or anonymously, and caches it per scope until it expires).
 *
 * Credentials go to the registry and to the realm its challenge names, nowhere else: a realm
 * must be https unless the registry itself is plain http, a redirect away from the realm's
 * origin goes on without them, and the token body is read up to a small cap.
 */
import { bodyStream } from './body-stream.js';
import { readLimited } from './digest.js';
import { ClientError, errorFromFetchFailure, errorFromResponse } from './errors.js';
import { OutboundBlockedError } from './outbound-guard.js';
import { discard } from './response-body.js';

export interface Credentials {
  username: string;
  /** A password or an access key. */
  password: string;
}

export type Challenge =
  | { scheme: 'basic'; realm?: string }
  | { scheme: 'bearer'; realm: string; service?: string; scopes: string[]; error?: string };

/** Parses a `WWW-Authenticate` header into the challenges we understand (others are skipped). */
export function parseChallenges(header: string): Challenge[] {
  const found: Challenge[] = [];
  const re = /\s*,?\s*([A-Za-z][A-Za-z0-9_-]*)(?:\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*)))?/gy;
  let current: { scheme: string; params: Record<string, string> } | undefined;
  const flush = (): void => {
    if (!current) return;
    const { scheme, params } = current;
    if (scheme === 'basic')
      found.push({
        scheme: 'basic',
        ...(params.realm !== undefined ? { realm: params.realm } : {}),
      });
    if (scheme === 'bearer' && params.realm) {
      found.push({
        scheme: 'bearer',
        realm: params.realm,
        ...(params.service !== undefined ? { service: params.service } : {}),
        scopes: (params.scope ?? '').split(' ').filter(Boolean),
        ...(params.error !== undefined ? { error: params.error } : {}),
      });
    }
  };
  for (let m = re.exec(header); m && m[0] !== ''; m = re.exec(header)) {
    const [, name = '', quoted, bare] = m;
    if (quoted === undefined && bare === undefined) {
      flush(); // a bare token starts a new challenge
      current = { scheme: name.toLowerCase(), params: {} };
    } else if (current) {
      current.params[name.toLowerCase()] =
        quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : (bare ?? '');
    }
  }
  flush();
  return found;
}

/** Merges scopes (`repository:a:pull` + `repository:a:push` → `repository:a:pull,push`), sorted. */
export function mergeScopes(scopes: readonly string[]): string[] {
  const byResource = new Map<string, Set<string>>();
  for (const scope of scopes) {
    const last = scope.lastIndexOf(':');
    if (last <= 0) continue;
    const resource = scope.slice(0, last);
    const actions = byResource.get(resource) ?? new Set<string>();
    for (const action of scope.slice(last + 1).split(',')) if (action) actions.add(action);
    byResource.set(resource, actions);
  }
  return [...byResource.entries()]
    .map(([resource, actions]) => `${resource}:${[...actions].sort().join(',')}`)
    .sort();
}

export function repositoryScope(
  repository: string,
  ...actions: ('pull' | 'push' | 'delete')[]
): string {
  return `repository:${repository}:${actions.join(',')}`;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

const DEFAULT_TOKEN_SECONDS = 60; // what the token spec says to assume without `expires_in`
const MAX_TOKEN_BODY = 1024 * 1024;
const MAX_REDIRECTS = 5;

export class Authenticator {
  private scheme: Challenge | undefined;
  private readonly tokens = new Map<string, CachedToken>();
  private readonly pending = new Map<string, Promise<string>>();

  constructor(
    private readonly credentials: Credentials | undefined,
    private readonly fetchFn: typeof fetch,
    private readonly userAgent: string,
    /** The registry's base URL: its scheme decides whether a plain-http realm is acceptable. */
    private readonly registry: URL,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The Authorization header to send before any challenge, from what the host asked last time. */
  async headerFor(scopes: readonly string[], signal?: AbortSignal): Promise<string | undefined> {
    const scheme = this.scheme;
    if (!scheme) return undefined;
    if (scheme.scheme === 'basic') return this.basic();
    return `Bearer ${await this.token(scheme, mergeScopes(scopes), signal)}`;
  }

  /**
   * Answers a 401: returns the header to retry with, or throws 'unauthorized' when there is
   * nothing better to send than what was just refused.
   */
  async answer(
    header: string | null,
    scopes: readonly string[],
    refused: string | undefined,
    signal?: AbortSignal,
  ): Promise<string> {
    const challenges = parseChallenges(header ?? '');
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    const chosen = bearer ?? challenges.find((c) => c.scheme === 'basic');
    if (!chosen)
      throw new ClientError(
        'unauthorized',
        'registry asked for authentication without a usable challenge',
      );
    this.scheme = chosen;
    if (chosen.scheme === 'basic') {
      const basic = this.basic();
      if (!basic || basic === refused)
        throw new ClientError('unauthorized', 'registry refused the credentials (basic)');
      return basic;
    }
    const wanted = mergeScopes([...scopes, ...chosen.scopes]);
    const key = wanted.join(' ');
    const cached = this.tokens.get(key);
    if (cached && `Bearer ${cached.token}` === refused) this.tokens.delete(key);
    const token = await this.token(chosen, wanted, signal);
    if (`Bearer ${token}` === refused)
      throw new ClientError('unauthorized', 'registry refused the token for ' + key);
    // Also remember it for the scopes the caller will ask with next time.
    const requested = mergeScopes(scopes).join(' ');
    const fresh = this.tokens.get(key);
    if (fresh && requested !== key) this.tokens.set(requested, fresh);
    return `Bearer ${token}`;
  }

  private basic(): string | undefined {
    if (!this.credentials) return undefined;
    const { username, password } = this.credentials;
    return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  }

  private async token(
    challenge: Extract<Challenge, { scheme: 'bearer' }>,
    scopes: string[],
    signal?: AbortSignal,
  ): Promise<string> {
    const key = scopes.join(' ');
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt > this.clock()) return cached.token;
    const inFlight = this.pending.get(key);
    if (inFlight) return inFlight;
    const request = this.fetchToken(challenge, scopes, signal).finally(() =>
      this.pending.delete(key),
    );
    this.pending.set(key, request);
    return request;
  }

  private async fetchToken(
    challenge: Extract<Challenge, { scheme: 'bearer' }>,
    scopes: string[],
    signal?: AbortSignal,
  ): Promise<string> {
    let url: URL;
    try {
      url = new URL(challenge.realm);
    } catch (err) {
      throw new ClientError(
        'protocol',
        `token realm is not a URL: ${challenge.realm.slice(0, 200)}`,
        { cause: err },
      );
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw new ClientError('protocol', 'token realm must be http(s)');
    this.requireSecureRealm(url);
    if (challenge.service !== undefined) url.searchParams.set('service', challenge.service);
    for (const scope of scopes) url.searchParams.append('scope', scope);
    const started = this.clock();
    const res = await this.fetchRealm(url, signal);
    const where = url.origin + url.pathname;
    if (res.status !== 200) {
      const err = await errorFromResponse(res, 'GET', where, 'token request');
      if (res.status === 401 || res.status === 403) {
        throw new ClientError(
          'unauthorized',
          `token endpoint refused the credentials (HTTP ${res.status})`,
          { method: 'GET', url: where, status: res.status, registryErrors: err.registryErrors },
        );
      }
      throw err;
    }
    if (Number(res.headers.get('content-length') ?? 0) > MAX_TOKEN_BODY) {
      await res.body?.cancel().catch(() => undefined);
      throw new ClientError('too_large', `token response is larger than ${MAX_TOKEN_BODY} bytes`);
    }
    const text = (
      await readLimited(bodyStream(res, 'GET', where, signal), MAX_TOKEN_BODY, 'token response')
    ).toString('utf8');
    let body: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch (err) {
      throw new ClientError('protocol', 'token response is not JSON', { cause: err });
    }
    const token =
      typeof body.token === 'string'
        ? body.token
        : typeof body.access_token === 'string'
          ? body.access_token
          : undefined;
    if (!token) throw new ClientError('protocol', 'token response carries no token');
    const seconds =
      typeof body.expires_in === 'number' && body.expires_in > 0
        ? body.expires_in
        : DEFAULT_TOKEN_SECONDS;
    // Renew a little early so a token does not expire between our check and the registry's.
    this.tokens.set(scopes.join(' '), {
      token,
      expiresAt: started + Math.max(seconds - 10, seconds / 2) * 1000,
    });
    return token;
  }

  /** A plain-http realm would carry an https registry's credentials in the clear. */
  private requireSecureRealm(url: URL): void {
    if (url.protocol !== 'http:' || this.registry.protocol !== 'https:') return;
    const cause = new OutboundBlockedError(
      url.host,
      'insecure-realm',
      undefined,
      `the token realm ${url.origin} is plain http while the registry ${this.registry.origin} is https`,
    );
    throw new ClientError('blocked', cause.message, { url: url.origin + url.pathname, cause });
  }

  /**
   * GET the realm, following redirects by hand: the credentials go only to the realm's own
   * origin, and a redirect may not step down to plain http either.
   */
  private async fetchRealm(realm: URL, signal?: AbortSignal): Promise<Response> {
    let url = realm;
    for (let hop = 0; ; hop++) {
      const headers: Record<string, string> = {
        'user-agent': this.userAgent,
        accept: 'application/json',
      };
      const basic = this.basic();
      if (basic && url.origin === realm.origin) headers.authorization = basic;
      let res: Response;
      try {
        res = await this.fetchFn(url, {
          headers,
          redirect: 'manual',
          ...(signal ? { signal } : {}),
        });
      } catch (err) {
        throw errorFromFetchFailure(err, 'GET', url.origin + url.pathname, signal);
      }
      const location = res.headers.get('location');
      if (![301, 302, 303, 307, 308].includes(res.status) || !location) return res;
      await discard(res);
      if (hop + 1 >= MAX_REDIRECTS)
        throw new ClientError('protocol', 'token request: too many redirects');
      url = new URL(location, url);
      if (url.protocol !== 'https:' && url.protocol !== 'http:')
        throw new ClientError('protocol', `token request: redirect to ${url.protocol}`);
      this.requireSecureRealm(url);
    }
  }
}
