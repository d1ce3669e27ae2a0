import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { StoreError } from '../errors.js';

/** The only writer of /api/v1 error bodies: `{error: {code, message, details?}}`. */
export function apiErrorHandler(log: Logger): ErrorRequestHandler {
  return (err: unknown, _req, res, _next) => {
    const e = toStoreError(err);
    if (e.status >= 500) log.error({ err }, 'api request failed');
    if (res.headersSent) return void res.destroy();
    const retryAfter = (e.details as { retryAfterSeconds?: unknown } | undefined)
      ?.retryAfterSeconds;
    if (typeof retryAfter === 'number') res.set('Retry-After', String(retryAfter));
    res.status(e.status).json({
      error: {
        code: e.code,
        message: e.message,
        ...(e.details !== undefined ? { details: e.details } : {}),
      },
    });
  };
}

function toStoreError(err: unknown): StoreError {
  if (err instanceof StoreError) return err;
  const status = (err as { status?: unknown; type?: unknown } | undefined)?.status;
  // body-parser's errors: malformed JSON, too large
  if (status === 400)
    return new StoreError('invalid', 'malformed request body', undefined, { cause: err });
  if (status === 413)
    return new StoreError('too_large', 'request body too large', undefined, { cause: err });
  return new StoreError('internal', 'internal error', undefined, { cause: err });
}

export const notFound: RequestHandler = () => {
  throw new StoreError('not_found', 'no such endpoint');
};
