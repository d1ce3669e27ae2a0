/**
 * One registry host over `fetch` (undici keeps connections alive): builds URLs, attaches and
 * renews authorization (one retry on 401), follows redirects without leaking credentials to
 * other hosts, retries replayable requests on network failures and 429/5xx, and turns
 * unexpected answers into ClientErrors. Bodies read as Node streams (blobs) can go over undici's
 * `request` on the fetch's dispatcher instead (`stream`), with the same auth, redirects and retries.
 */
import type { Dispatcher } from 'undici';
import { Authenticator, type Credentials } from './auth.js';
import { bodyStream } from './body-stream.js';
import { ClientError, errorFromFetchFailure, errorFromResponse } from './errors.js';
import { discard } from './response-body.js';
import { retryPolicy, withRetry, type RetryPolicy } from './retry.js';
import {
  discardStreamed,
  errorFromStreamed,
  streamedRequest,
  type StreamedAnswer,
} from './streamed-request.js';

export type { StreamedAnswer };

export { discard };

export interface TransportOptions {
  /** `host[:port]`, or a base URL (`http://127.0.0.1:5000`) whose scheme then decides. */
  host: string;
  credentials?: Credentials | undefined;
  /** Plain http. Default: true for localhost, 127.0.0.1 and [::1], https for everything else. */
  insecure?: boolean | undefined;
  retry?: Partial<RetryPolicy> | undefined;
  fetch?: typeof fetch | undefined;
  /**
   * The undici dispatcher `fetch` sends through (the outbound guard's Agent): given, `stream`
   * requests go over undici's `request` on it; else they go over `fetch` too.
   */
  dispatcher?: Dispatcher | undefined;
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

/** A GET whose body is read as a Node stream. */
export interface StreamSpec extends Omit<RequestSpec, 'method' | 'body'> {
  method: 'GET';
  /** The body fails when no byte of it arrives for this long (with a dispatcher only). */
  idleTimeoutMs?: number | undefined;
}

/** One hop's answer: as much as following a redirect or a challenge needs. */
interface Answer {
  status: number;
  headers: Headers;
}

/** How one hop goes out, and how an answer nobody reads is dropped or made an error. */
interface Channel<A extends Answer> {
  hop(url: URL, headers: Record<string, string>): Promise<A>;
  discard(answer: A): Promise<void>;
  error(answer: A, url: string): Promise<ClientError>;
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
  private readonly dispatcher: Dispatcher | undefined;
  private readonly auth: Authenticator;
  private readonly userAgent: string;

  constructor(options: TransportOptions) {
    this.base = baseUrlOf(options.host, options.insecure);
    this.host = this.base.host;
    this.retry = retryPolicy(options.retry);
    this.fetchFn = options.fetch ?? fetch;
    this.dispatcher = options.dispatcher;
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
    const channel: Channel<Response> = {
      hop: (url, headers) =>
        this.fetchFn(url, {
          method: spec.method,
          headers,
          redirect: 'manual',
          ...(spec.body !== undefined ? bodyOf(spec.body, headers) : {}),
          ...(spec.signal ? { signal: spec.signal } : {}),
        }),
      discard,
      error: (res, url) => errorFromResponse(res, spec.method, url, spec.what),
    };
    if (spec.retry === false) return this.attempt(spec, channel);
    return withRetry(this.retry, () => this.attempt(spec, channel), { signal: spec.signal });
  }

  /**
   * A GET whose body is read as a Node stream (a blob): over undici's `request` on the
   * dispatcher when there is one (no web stream in between), else over `fetch`.
   */
  async stream(spec: StreamSpec): Promise<StreamedAnswer> {
    const { dispatcher } = this;
    if (!dispatcher) {
      const res = await this.send(spec);
      const url = this.url(spec.path, spec.query).href;
      return {
        status: res.status,
        headers: res.headers,
        body: bodyStream(res, 'GET', url, spec.signal),
      };
    }
    const channel: Channel<StreamedAnswer> = {
      hop: (url, headers) =>
        streamedRequest(dispatcher, url, {
          method: 'GET',
          headers,
          signal: spec.signal,
          idleTimeoutMs: spec.idleTimeoutMs,
        }),
      discard: discardStreamed,
      error: (answer, url) => errorFromStreamed(answer, 'GET', url, spec.what),
    };
    if (spec.retry === false) return this.attempt(spec, channel);
    return withRetry(this.retry, () => this.attempt(spec, channel), { signal: spec.signal });
  }

  private async attempt<A extends Answer>(
    spec: Omit<RequestSpec, 'body'>,
    channel: Channel<A>,
  ): Promise<A> {
    const url = this.url(spec.path, spec.query);
    const label = url.origin + url.pathname;
    let authorization = await this.auth.headerFor(spec.scopes, spec.signal);
    let res = await this.exchange(spec, channel, url, authorization);
    if (res.status === 401 && url.origin === this.base.origin) {
      const challenge = res.headers.get('www-authenticate');
      await channel.discard(res);
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
      res = await this.exchange(spec, channel, url, authorization);
    }
    if (spec.expect.includes(res.status)) return res;
    throw await channel.error(res, label);
  }

  /** One request, following GET/HEAD redirects; Authorization goes only to the registry's origin. */
  private async exchange<A extends Answer>(
    spec: Omit<RequestSpec, 'body'>,
    channel: Channel<A>,
    first: URL,
    authorization: string | undefined,
  ): Promise<A> {
    let url = first;
    for (let hop = 0; ; hop++) {
      const headers: Record<string, string> = { 'user-agent': this.userAgent, ...spec.headers };
      if (authorization && url.origin === this.base.origin) headers.authorization = authorization;
      let res: A;
      try {
        res = await channel.hop(url, headers);
      } catch (err) {
        throw errorFromFetchFailure(err, spec.method, url.origin + url.pathname, spec.signal);
      }
      const location = res.headers.get('location');
      const redirect =
        [301, 302, 303, 307, 308].includes(res.status) &&
        (spec.method === 'GET' || spec.method === 'HEAD');
      if (!redirect || !location || spec.expect.includes(res.status)) return res;
      await channel.discard(res);
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
