/** A small client for the store's JSON API (/api/v1), with an access key as bearer credential. */
import { failure, reasonOf } from './errors.js';
import type { StoreAddress } from './store-address.js';

export interface ApiErrorBody {
  error?: { code?: string; message?: string; details?: unknown };
}

export interface ApiRequest {
  query?: Record<string, string | string[] | number | boolean | undefined>;
  body?: unknown;
}

const LOGIN_HINT = 'run "appshelf login <store> --key <key>" with a valid access key';

export class StoreApi {
  constructor(
    readonly store: StoreAddress,
    private readonly key: string | undefined,
    private readonly fetchFn: typeof fetch = fetch,
  ) {}

  get authenticated(): boolean {
    return this.key !== undefined;
  }

  async get<T>(path: string, request: ApiRequest = {}): Promise<T> {
    return this.send<T>('GET', path, request);
  }

  async post<T>(path: string, request: ApiRequest = {}): Promise<T> {
    return this.send<T>('POST', path, request);
  }

  async put<T>(path: string, request: ApiRequest = {}): Promise<T> {
    return this.send<T>('PUT', path, request);
  }

  /** GET of a body that is not JSON (a logo): its bytes and type. */
  async getBytes(path: string): Promise<{ bytes: Buffer; type: string }> {
    const res = await this.raw('GET', path, {});
    return {
      bytes: Buffer.from(await res.arrayBuffer()),
      type: res.headers.get('content-type') ?? 'application/octet-stream',
    };
  }

  /** PUT of raw bytes (a logo); the answer parsed as JSON. */
  async putBytes<T>(path: string, bytes: Buffer, type: string): Promise<T> {
    const res = await this.raw('PUT', path, { body: bytes, type });
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  async delete(path: string): Promise<void> {
    await this.send<unknown>('DELETE', path, {});
  }

  /** One request; a non-2xx answer becomes a CliError naming the store's code and message. */
  async send<T>(method: string, path: string, request: ApiRequest): Promise<T> {
    const res = await this.raw(
      method,
      path,
      request.body === undefined
        ? { query: request.query }
        : { query: request.query, body: JSON.stringify(request.body), type: 'application/json' },
    );
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** The request; a 2xx response with its body unread, else the CliError for the answer. */
  private async raw(
    method: string,
    path: string,
    request: { query?: ApiRequest['query']; body?: string | Buffer; type?: string },
  ): Promise<Response> {
    const url = new URL(`/api/v1${path}`, this.store.url);
    for (const [name, value] of Object.entries(request.query ?? {})) {
      if (value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [value])
        url.searchParams.append(name, String(v));
    }
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': 'appshelf-cli/0.1',
    };
    if (this.key) headers.authorization = `Bearer ${this.key}`;
    if (request.type !== undefined) headers['content-type'] = request.type;
    let res: Response;
    try {
      res = await this.fetchFn(url, {
        method,
        headers,
        ...(request.body !== undefined ? { body: request.body } : {}),
      });
    } catch (err) {
      throw failure(
        `cannot reach the store at ${this.store.url} (${reasonOf(err) ?? (err as Error).message})`,
        'check the address and that the store is running ("appshelf serve" starts one)',
        err,
      );
    }
    if (res.ok) return res;
    const text = await res.text();
    let body: ApiErrorBody = {};
    try {
      body = JSON.parse(text) as ApiErrorBody;
    } catch {
      // not the store's error body: described by the status alone
    }
    throw apiError(this.store, method, path, res.status, body);
  }
}

function apiError(
  store: StoreAddress,
  method: string,
  path: string,
  status: number,
  body: ApiErrorBody,
): Error {
  const code = body.error?.code;
  const message = body.error?.message ?? `HTTP ${status}`;
  if (status === 401)
    return failure(`the store at ${store.url} refused the credentials (${message})`, LOGIN_HINT);
  if (status === 403)
    return failure(
      `the store at ${store.url} does not allow this (${message})`,
      'use a key with the needed scope, or ask an admin',
    );
  if (status === 404 && message === 'no such endpoint') {
    return failure(
      `the store at ${store.url} has no ${method} /api/v1${path}`,
      'check the address, or upgrade the store',
    );
  }
  if (status === 404) return failure(`not found (${message})`, 'check the name or id');
  if (status === 429 || status >= 500)
    return failure(
      `the store at ${store.url} failed (${code ?? status}: ${message})`,
      'try again later; the store log says more',
    );
  return failure(
    `the store refused the request (${code ?? status}: ${message})`,
    'check the arguments',
  );
}
