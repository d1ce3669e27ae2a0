/**
 * Answers for feed readers, README images and their proxies (the Atom feeds, the badges): public,
 * cached a short while, with a strong ETag over the body and, when known, Last-Modified, so a
 * reader that sends either back gets a 304 with no body (GET and HEAD: the only routes).
 */
import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';

export interface Cacheable {
  type: string;
  body: string;
  /** Seconds a cache may keep it without asking again. */
  maxAge: number;
  status?: number;
  lastModified?: Date | undefined;
}

export function etagOf(body: string): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
}

export function sendCacheable(req: Request, res: Response, answer: Cacheable): void {
  const etag = etagOf(answer.body);
  res.status(answer.status ?? 200).set({
    'Content-Type': answer.type,
    'Cache-Control': `public, max-age=${answer.maxAge}`,
    ETag: etag,
  });
  if (answer.lastModified) res.set('Last-Modified', answer.lastModified.toUTCString());
  if (res.statusCode === 200 && notModified(req, etag, answer.lastModified))
    return void res.status(304).end();
  res.send(answer.body);
}

/**
 * RFC 9110 §13.1.2 and §13.1.3 as an origin server evaluates them: If-None-Match (weak
 * comparison) when sent, else If-Modified-Since. Not express's `req.fresh`: it answers 200 to
 * any request with `Cache-Control: no-cache`, which fetch() adds to every conditional request.
 */
function notModified(req: Request, etag: string, lastModified: Date | undefined): boolean {
  const noneMatch = req.get('if-none-match');
  if (noneMatch !== undefined)
    return (
      noneMatch.trim() === '*' ||
      noneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag)
    );
  const since = Date.parse(req.get('if-modified-since') ?? '');
  // Last-Modified is sent to the second: compare at that precision.
  return (
    !!lastModified &&
    !Number.isNaN(since) &&
    Math.floor(lastModified.getTime() / 1000) * 1000 <= since
  );
}
