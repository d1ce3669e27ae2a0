import type { IncomingMessage, ServerResponse } from 'node:http';
import { OciError, toOciError } from '../errors.js';
import { closeAfterAnswer } from './linger.js';

export const API_VERSION_HEADER = ['Docker-Distribution-API-Version', 'registry/2.0'] as const;

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  contentType = 'application/json',
): void {
  const bytes = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': bytes.length });
  res.end(bytes);
}

export function sendEmpty(
  res: ServerResponse,
  status: number,
  headers: Record<string, string | number> = {},
): void {
  res.writeHead(status, { ...headers, 'Content-Length': 0 });
  res.end();
}

/** The only writer of OCI error bodies. Returns the error as rendered (for logging). */
export function sendOciError(req: IncomingMessage, res: ServerResponse, err: unknown): OciError {
  const e = toOciError(err);
  if (res.headersSent) {
    res.destroy(); // failed mid-stream: cut the connection so the client sees a short body
    return e;
  }
  // A refusal that closes the connection leaves the body unread; any other drains it (below).
  const closing = e.headers.Connection === 'close';
  if (closing && !req.complete) closeAfterAnswer(res);
  const body = Buffer.from(
    JSON.stringify({ errors: [{ code: e.code, message: e.message, detail: e.detail ?? null }] }),
  );
  res.writeHead(e.status, {
    ...e.headers,
    [API_VERSION_HEADER[0]]: API_VERSION_HEADER[1],
    'Content-Type': 'application/json',
    'Content-Length': body.length,
  });
  res.end(req.method === 'HEAD' ? undefined : body);
  // A request body we did not read (e.g. a refused upload) must not hold the connection open.
  if (!req.complete && !closing) req.resume();
  return e;
}

export function isOci(err: unknown): err is OciError {
  return err instanceof OciError;
}
