/**
 * The OCI error catalog: each code once, with its HTTP status and message (statuses as the
 * distribution-spec table and CNCF Distribution's errcode/register.go give them).
 */
const CODES = {
  BLOB_UNKNOWN: [404, 'blob unknown to registry'],
  BLOB_UPLOAD_INVALID: [400, 'blob upload invalid'],
  BLOB_UPLOAD_UNKNOWN: [404, 'blob upload unknown to registry'],
  DIGEST_INVALID: [400, 'provided digest did not match uploaded content'],
  MANIFEST_BLOB_UNKNOWN: [400, 'manifest references a manifest or blob unknown to registry'],
  MANIFEST_INVALID: [400, 'manifest invalid'],
  MANIFEST_UNKNOWN: [404, 'manifest unknown to registry'],
  NAME_INVALID: [400, 'invalid repository name'],
  NAME_UNKNOWN: [404, 'repository name not known to registry'],
  SIZE_INVALID: [400, 'provided length did not match content length'],
  RANGE_INVALID: [416, 'requested range not satisfiable'],
  TOO_LARGE: [413, 'payload too large'],
  UNAUTHORIZED: [401, 'authentication required'],
  DENIED: [403, 'requested access to the resource is denied'],
  UNSUPPORTED: [405, 'the operation is unsupported'],
  TOOMANYREQUESTS: [429, 'too many requests'],
  PAGINATION_NUMBER_INVALID: [400, 'invalid number of results requested'],
  UNAVAILABLE: [503, 'service unavailable'],
  UNKNOWN: [500, 'unknown error'],
} as const satisfies Record<string, readonly [number, string]>;

export type OciErrorCode = keyof typeof CODES;

export class OciError extends Error {
  override readonly name = 'OciError';
  readonly status: number;
  /** Extra response headers (e.g. `Range` on a 416, `WWW-Authenticate` on a 401). */
  headers: Record<string, string> = {};

  constructor(
    readonly code: OciErrorCode,
    message?: string,
    readonly detail?: unknown,
    options?: ErrorOptions,
  ) {
    super(message ?? CODES[code][1], options);
    this.status = CODES[code][0];
  }

  withHeader(name: string, value: string): this {
    this.headers[name] = value;
    return this;
  }
}

export function isOciError(err: unknown): err is OciError {
  return err instanceof OciError;
}

/** The single translation of anything thrown below the handlers into an OCI error. */
export function toOciError(err: unknown): OciError {
  if (err instanceof OciError) return err;
  if (err instanceof Error && err.name === 'StorageError') {
    const code = (err as Error & { code?: string }).code;
    if (code === 'not_found')
      return new OciError('BLOB_UNKNOWN', undefined, undefined, { cause: err });
  }
  return new OciError('UNKNOWN', undefined, undefined, { cause: err });
}

/** For docs/errors.md and tests: the whole catalog. */
export const ociErrorCatalog = Object.entries(CODES).map(([code, [status, message]]) => ({
  code: code as OciErrorCode,
  status,
  message,
}));
