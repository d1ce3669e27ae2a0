/**
 * One registry host over `fetch` (undici keeps connections alive): builds URLs, attaches and
 * renews authorization (one retry on 401), follows redirects without leaking credentials to
 * other hosts, retries replayable requests on network failures and 429/5xx, and turns
 * unexpected answers into ClientErrors.
 */
import { Authenticator, type Credentials } from './auth.js';
import { ClientError, errorFromFetchFailure, errorFromResponse } from './errors.js';
import { discard } from './response-body.js';
import { retryPolicy, withRetry, type RetryPolicy } from './retry.js';

export { discard };

export interface TransportOptions {
  /** `host[:port]`, or a base URL (`http://127.0.0.1:5000`) whose scheme then decides. */
  host: string;
  credentials?: Credentials | undefined;
  /** Plain http. Default: true for localhost, 127.0.0.1 and [::1], https for everything else. */
  insecure?: boolean | undefined;
  retry?: Partial<RetryPolicy> | undefined;
  fetch?: typeof fetch | undefined;
  userAgent?: string | undefined;
}

export interface RequestSpec {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  /** A path on the registry (`/v2/...`) or an absolute URL the registry handed out (Location). */
  path: string;
  query?: Record<string, string | undefined>;
  /** Token scopes the request needs (`repository:acme/app:pull,push`). */
  scopes: readonly string[];
  headers?: Record<string, string>;
  body?: Buffer;
  /** Statuses that count as success; anything else becomes a ClientError. */
  expect: readonly number[];
  /** What the request does, for error messages ("fetch manifest acme/app:1.0"). */
  what: string;
  /** Retry on network failures and 429/5xx (default true: bodies are Buffers, so replayable). */
  retry?: boolean;
  signal?: AbortSignal | undefined;
}

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/i;
const MAX_REDIRECTS = 5;

export function baseUrlOf(host: string, insecure?: boolean): URL {
  if (/^https?:\/\//i.test(host)) {
    const url = new URL(host);
    return new URL(`${url.protocol}//${url.host}`);
  }
  const plain = insecure ?? LOOPBACK.test(host);
  return new URL(`${plain ? 'http' : 'https'}://${host}`);
}

export class Transport {
  readonly base: URL;
  /** `host[:port]` as the registry is named in references. */
  readonly host: string;
  readonly retry: RetryPolicy;
  private readonly fetchFn: typeof fetch;
  private readonly auth: Authenticator;
  private readonly userAgent: string;

  constructor(options: TransportOptions) {
    this.base = baseUrlOf(options.host, options.insecure);
    this.host = this.base.host;
    this.retry = retryPolicy(options.retry);
    this.fetchFn = options.fetch ?? fetch;
    this.userAgent = options.userAgent ?? 'appshelf-client/0.1';
    this.auth = new Authenticator(options.credentials, this.fetchFn, this.userAgent, this.base);
  }

  url(path: string, query: Record<string, string | undefined> = {}): URL {
    const url = new URL(path, this.base);
    for (const [key, value] of Object.entries(query))
      if (value !== undefined) url.searchParams.set(key, value);
    return url;
  }

  /** Sends a request; the response has an expected status, its body unread. */
  async send(spec: RequestSpec): Promise<Response> {
    if (spec.retry === false) return this.attempt(spec);
    return withRetry(this.retry, () => this.attempt(spec), { signal: spec.signal });
  }

  private async attempt(spec: RequestSpec): Promise<Response> {
    const url = this.url(spec.path, spec.query);
    const label = url.origin + url.pathname;
    let authorization = await this.auth.headerFor(spec.scopes, spec.signal);
    let res = await this.exchange(spec, url, authorization);
    if (res.status === 401 && url.origin === this.base.origin) {
      const challenge = res.headers.get('www-authenticate');
      await discard(res);
      try {
        authorization = await this.auth.answer(challenge, spec.scopes, authorization, spec.signal);
      } catch (err) {
        if (err instanceof ClientError && err.code === 'unauthorized') {
          throw new ClientError('unauthorized', `${spec.what}: ${err.message}`, {
            method: spec.method,
            url: label,
            status: 401,
            cause: err,
          });
        }
        throw err;
      }
      res = await this.exchange(spec, url, authorization);
    }
    if (spec.expect.includes(res.status)) return res;
    throw await errorFromResponse(res, spec.method, label, spec.what);
  }

  /** One request, following GET/HEAD redirects; Authorization goes only to the registry's origin. */
  private async exchange(
    spec: RequestSpec,
    first: URL,
    authorization: string | undefined,
  ): Promise<Response> {
    let url = first;
    for (let hop = 0; ; hop++) {
      const headers: Record<string, string> = { 'user-agent': this.userAgent, ...spec.headers };
      if (authorization && url.origin === this.base.origin) headers.authorization = authorization;
      let res: Response;
      try {
        res = await this.fetchFn(url, {
          method: spec.method,
          headers,
          redirect: 'manual',
          ...(spec.body !== undefined ? bodyOf(spec.body, headers) : {}),
          ...(spec.signal ? { signal: spec.signal } : {}),
        });
      } catch (err) {
        throw errorFromFetchFailure(err, spec.method, url.origin + url.pathname, spec.signal);
      }
      const location = res.headers.get('location');
      const redirect =
        [301, 302, 303, 307, 308].includes(res.status) &&
        (spec.method === 'GET' || spec.method === 'HEAD');
      if (!redirect || !location || spec.expect.includes(res.status)) return res;
      await discard(res);
      if (hop + 1 >= MAX_REDIRECTS)
        throw new ClientError('protocol', `${spec.what}: too many redirects`, {
          method: spec.method,
          url: url.href,
        });
      url = new URL(location, url);
      if (url.protocol !== 'https:' && url.protocol !== 'http:')
        throw new ClientError('protocol', `${spec.what}: redirect to ${url.protocol}`);
    }
  }
}

/** Bodies from this size on go as a stream over the caller's buffer. */
const STREAMED_BODY = 64 * 1024;

/**
 * The fetch body for `body`. fetch copies a Buffer body whole before sending it; a stream over
 * it sends the caller's bytes as they are (a blob chunk is 8 MiB: copies of them, freed late by
 * the GC, were most of an upload's memory). A fresh stream per call, so a retry sends it again.
 */
function bodyOf(body: Buffer, headers: Record<string, string>): RequestInit {
  if (body.length < STREAMED_BODY) return { body };
  headers['content-length'] ??= String(body.length);
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(body);
      controller.close();
    },
  });
  return { body: stream, duplex: 'half' } as RequestInit;
}

/** A header the protocol requires; 'protocol' error when the registry left it out. */
export function requireHeader(res: Response, name: string, what: string): string {
  const value = res.headers.get(name);
  if (value === null || value === '')
    throw new ClientError('protocol', `${what}: response has no ${name} header`, {
      status: res.status,
    });
  return value;
}
