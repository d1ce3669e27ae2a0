/**
 * Answers for feed readers, README images and their proxies (the Atom feeds, the badges): public,
 * cached a short while, with a strong ETag over the body and, when known, Last-Modified, so a
 * reader that sends either back gets a 304 with no body.
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
  res.status(answer.status ?? 200).set({
    'Content-Type': answer.type,
    'Cache-Control': `public, max-age=${answer.maxAge}`,
    ETag: etagOf(answer.body),
  });
  if (answer.lastModified) res.set('Last-Modified', answer.lastModified.toUTCString());
  // req.fresh weighs If-None-Match (else If-Modified-Since) against the headers just set.
  if (res.statusCode === 200 && req.fresh) return void res.status(304).end();
  res.send(answer.body);
}
