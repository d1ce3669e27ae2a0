/**
 * CSRF protection for the web's forms: a double-submit token bound to the session. The browser
 * holds a random `appshelf_csrf` cookie (HttpOnly, SameSite=Strict); every form carries
 * HMAC(key, csrf cookie + session cookie) in `_csrf` (scripts send it as `X-CSRF-Token`). A
 * forged request has neither the cookie's value nor the key, so it cannot make the token, and a
 * token stops working when the session it was made for ends. The key is one of the server
 * secrets (server-secrets.ts), so every process of a store accepts the others' tokens. Requests a browser marks as
 * cross-site (Sec-Fetch-Site, Origin) are refused before the token is even read.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import { StoreError } from '../errors.js';
import { SESSION_COOKIE } from '../http/authenticate.js';
import { isOwnOrigin } from '../http/same-origin.js';

export const CSRF_COOKIE = 'appshelf_csrf';
export const CSRF_FIELD = '_csrf';
export const CSRF_HEADER = 'x-csrf-token';

export class Csrf {
  constructor(
    private readonly key: Buffer,
    private readonly secureCookies: boolean,
    private readonly publicUrl: string | undefined,
  ) {}

  /** The token for this browser's forms; sets the csrf cookie when the browser has none yet. */
  token(req: Request, res: Response, cookies: Record<string, string | undefined>): string {
    let nonce = cookies[CSRF_COOKIE];
    if (!nonce || !/^[A-Za-z0-9_-]{32}$/.test(nonce)) {
      nonce = randomBytes(24).toString('base64url');
      cookies[CSRF_COOKIE] = nonce;
      res.cookie(CSRF_COOKIE, nonce, {
        httpOnly: true,
        sameSite: 'strict',
        secure: this.secureCookies,
        path: '/',
      });
    }
    return this.sign(nonce, cookies[SESSION_COOKIE] ?? '');
  }

  /** Throws `forbidden` unless the request is same-site and carries this browser's token. */
  verify(req: Request, cookies: Record<string, string | undefined>, sent: unknown): void {
    const site = req.get('sec-fetch-site');
    if (site && site !== 'same-origin' && site !== 'none')
      throw expired('cross-site request refused');
    const origin = req.get('origin');
    if (origin && origin !== 'null' && !isOwnOrigin(origin, req, this.publicUrl))
      throw expired('cross-origin request refused');
    const nonce = cookies[CSRF_COOKIE];
    const token = typeof sent === 'string' ? sent : req.get(CSRF_HEADER);
    if (!nonce || !token) throw expired('the form has expired; reload the page and try again');
    const expected = Buffer.from(this.sign(nonce, cookies[SESSION_COOKIE] ?? ''));
    const given = Buffer.from(token);
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      throw expired('the form has expired; reload the page and try again');
  }

  private sign(nonce: string, session: string): string {
    return createHmac('sha256', this.key).update(`${nonce}\n${session}`).digest('base64url');
  }
}

function expired(message: string): StoreError {
  return new StoreError('forbidden', message, { csrf: true });
}
