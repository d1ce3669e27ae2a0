/** The store's one error type; /api/v1 renders it as {error: {code, message}}. */
const CODES = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
} as const satisfies Record<string, number>;

export type StoreErrorCode = keyof typeof CODES;

export class StoreError extends Error {
  override readonly name = 'StoreError';
  readonly status: number;
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    readonly details?: unknown,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.status = CODES[code];
  }
}

export const storeErrorCatalog = Object.entries(CODES).map(([code, status]) => ({ code, status }));
