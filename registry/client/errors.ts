import { OutboundBlockedError } from './outbound-guard.js';

/**
 * The registry client's one error class. `code` says what went wrong in terms a caller can act
 * on; `status` and `registryErrors` say what the registry answered, when it answered at all.
 */
export type ClientErrorCode =
  /** No or wrong credentials (HTTP 401, or the token endpoint refused them). */
  | 'unauthorized'
  /** Authenticated, but not allowed (HTTP 403). */
  | 'denied'
  /** No such repository, manifest, blob, tag or upload session (HTTP 404). */
  | 'not_found'
  /** Content does not match its descriptor (digest or size), here or as the registry saw it. */
  | 'digest_mismatch'
  /** A manifest or response past the client's size cap, or HTTP 413. */
  | 'too_large'
  /** The registry refused the request as invalid (another 4xx, e.g. MANIFEST_INVALID). */
  | 'invalid'
  /** The registry is overloaded or failing (HTTP 429 or 5xx): worth a retry. */
  | 'unavailable'
  /** The registry answered something the protocol does not allow (missing header, bad JSON...). */
  | 'protocol'
  /** The connection failed or broke mid-way: worth a retry. */
  | 'network'
  /** The caller's AbortSignal fired. */
  | 'aborted'
  /**
   * The outbound policy refused the target before connecting (an internal address, the server
   * itself, a plain-http token realm for an https registry): not worth a retry.
   */
  | 'blocked';

/** One entry of a registry's `{"errors":[...]}` body. */
export interface RegistryErrorEntry {
  code: string;
  message?: string;
  detail?: unknown;
}

export interface ClientErrorInfo {
  method?: string;
  url?: string;
  status?: number;
  registryErrors?: RegistryErrorEntry[];
  /** From a `Retry-After` header, in milliseconds. */
  retryAfterMs?: number;
  cause?: unknown;
}

export class ClientError extends Error {
  override readonly name = 'ClientError';
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly status: number | undefined;
  readonly registryErrors: RegistryErrorEntry[];
  readonly retryAfterMs: number | undefined;

  constructor(
    readonly code: ClientErrorCode,
    message: string,
    info: ClientErrorInfo = {},
  ) {
    super(message, info.cause === undefined ? undefined : { cause: info.cause });
    this.method = info.method;
    this.url = info.url;
    this.status = info.status;
    this.registryErrors = info.registryErrors ?? [];
    this.retryAfterMs = info.retryAfterMs;
  }

  /** The registry's OCI error codes (e.g. `MANIFEST_UNKNOWN`), in the order it sent them. */
  get registryCodes(): string[] {
    return this.registryErrors.map((e) => e.code);
  }

  /** Network failures and 429/5xx answers may succeed when tried again. */
  get retryable(): boolean {
    return this.code === 'network' || this.code === 'unavailable';
  }
}

export function isClientError(err: unknown, code?: ClientErrorCode): err is ClientError {
  return err instanceof ClientError && (code === undefined || err.code === code);
}

/** The error code for an HTTP status the registry answered with. */
export function codeForStatus(
  status: number,
  registryCodes: readonly string[] = [],
): ClientErrorCode {
  if (registryCodes.includes('DIGEST_INVALID') || registryCodes.includes('SIZE_INVALID'))
    return 'digest_mismatch';
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'denied';
  if (status === 404) return 'not_found';
  if (status === 413) return 'too_large';
  if (status === 429 || status >= 500) return 'unavailable';
  if (status >= 400) return 'invalid';
  return 'protocol';
}

const MAX_ERROR_BODY = 64 * 1024;

/** A ClientError for a response that was not what we asked for; reads (a bounded part of) its body. */
export async function errorFromResponse(
  res: Response,
  method: string,
  url: string,
  what: string,
): Promise<ClientError> {
  const registryErrors = await readErrorBody(res);
  const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
  const code = codeForStatus(
    res.status,
    registryErrors.map((e) => e.code),
  );
  const first = registryErrors[0];
  const reason = first
    ? `${first.code}${first.message ? `: ${first.message}` : ''}`
    : `HTTP ${res.status}`;
  return new ClientError(code, `${what}: ${reason}`, {
    method,
    url,
    status: res.status,
    registryErrors,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}

async function readErrorBody(res: Response): Promise<RegistryErrorEntry[]> {
  if (!res.body) return [];
  try {
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      size += chunk.length;
      if (size > MAX_ERROR_BODY) break;
      chunks.push(chunk);
    }
    if (size > MAX_ERROR_BODY) {
      await res.body.cancel().catch(() => undefined);
      return [];
    }
    const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const errors = (parsed as { errors?: unknown }).errors;
    if (!Array.isArray(errors)) return [];
    return errors
      .filter(
        (e): e is { code: string } =>
          typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string',
      )
      .map((e) => {
        const entry = e as { code: string; message?: unknown; detail?: unknown };
        return {
          code: entry.code,
          ...(typeof entry.message === 'string' ? { message: entry.message } : {}),
          ...(entry.detail !== undefined && entry.detail !== null ? { detail: entry.detail } : {}),
        };
      });
  } catch {
    return [];
  }
}

function parseRetryAfter(value: string | null): number | undefined {
  if (value === null) return undefined;
  if (/^\d{1,6}$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(at - Date.now(), 0);
}

/** Wraps whatever `fetch` threw (network failure, abort) into a ClientError. */
export function errorFromFetchFailure(
  err: unknown,
  method: string,
  url: string,
  signal?: AbortSignal,
): ClientError {
  if (err instanceof ClientError) return err;
  const blocked = blockedCause(err);
  if (blocked) return new ClientError('blocked', blocked.message, { method, url, cause: blocked });
  if (signal?.aborted || (err instanceof Error && err.name === 'AbortError')) {
    return new ClientError('aborted', `${method} ${url}: aborted`, { method, url, cause: err });
  }
  return new ClientError(
    'network',
    `${method} ${url}: ${err instanceof Error ? err.message : String(err)}`,
    { method, url, cause: err },
  );
}

/** The policy's refusal somewhere in an error's cause chain (fetch wraps it in a TypeError). */
export function blockedCause(err: unknown): OutboundBlockedError | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++)
    if (e instanceof OutboundBlockedError) return e;
  return undefined;
}
