/**
 * Cross-site request forgery against /api/v1: a browser sends the session cookie with any request
 * to the store, a forged form post from another site included. So a mutating request that only
 * the cookie signs in must come from the store's own pages (Origin, else Referer) and declare a
 * JSON body, a type no cross-site form can send and no script of another site can send without
 * a CORS preflight, which the store never grants. Bearer tokens and access keys are not sent by
 * browsers on their own, so those requests pass untouched; so do reads.
 */
import type { Request, RequestHandler } from 'express';
import { StoreError } from '../errors.js';
import { fromOwnOrigin } from './same-origin.js';

const READ_ONLY_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

export function refuseForgedCookieRequests(publicUrl: string | undefined): RequestHandler {
  return (req, res, next) => {
    if (READ_ONLY_METHODS.has(req.method) || !res.locals.viaSessionCookie) return void next();
    if (!fromOwnOrigin(req, publicUrl))
      throw new StoreError(
        'forbidden',
        "a request signed in by the session cookie must come from the store's own pages (Origin or Referer); other clients send Authorization: Bearer",
        { csrf: true },
      );
    if (!declaresJson(req))
      throw new StoreError(
        'forbidden',
        'a request signed in by the session cookie must declare Content-Type: application/json',
        { csrf: true },
      );
    next();
  };
}

/** application/json or application/<something>+json, even on a request without a body. */
function declaresJson(req: Request): boolean {
  const type = (req.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || /^application\/[\w.-]+\+json$/.test(type);
}
