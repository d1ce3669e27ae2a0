/**
 * The only writer of Rainstore error bodies: `{"code": <status>, "msg": "<text>"}`, `code` equal to
 * the HTTP status. Never 401 (rainstore-api.md §1: the console swallows 401 silently; only 403
 * makes it ask the user to authorize the store again).
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { OciError } from '../../registry/index.js';
import { StoreError } from '../errors.js';

export function rainstoreErrorHandler(log: Logger): ErrorRequestHandler {
  return (err: unknown, _req, res, _next) => {
    const { status, msg } = statusOf(err);
    if (status >= 500) log.error({ err }, 'rainstore request failed');
    if (res.headersSent) return void res.destroy();
    const retryAfter = retryAfterOf(err);
    if (retryAfter !== undefined) res.set('Retry-After', String(retryAfter));
    res.status(status).json({ code: status, msg });
  };
}

function retryAfterOf(err: unknown): number | undefined {
  if (!(err instanceof StoreError)) return undefined;
  const seconds = (err.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
  return typeof seconds === 'number' ? seconds : undefined;
}

function statusOf(err: unknown): { status: number; msg: string } {
  if (err instanceof StoreError || err instanceof OciError) {
    const status = err.status === 401 ? 403 : err.status;
    return status >= 500 ? { status, msg: 'internal error' } : { status, msg: err.message };
  }
  const status = (err as { status?: unknown } | undefined)?.status;
  if (status === 400) return { status: 400, msg: 'malformed request body' };
  if (status === 413) return { status: 413, msg: 'request body too large' };
  return { status: 500, msg: 'internal error' };
}

/** Any other /app-server path: logged at WARN (it may be a console call this store does not know yet). */
export function unknownRainstorePath(log: Logger): RequestHandler {
  return (req) => {
    log.warn(
      { method: req.method, path: req.path, query: req.query },
      'rainstore: no such endpoint',
    );
    throw new StoreError('not_found', 'no such endpoint');
  };
}
