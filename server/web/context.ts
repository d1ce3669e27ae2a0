/** What every page handler knows about the request: who asks, their form token, the store's address. */
import type { Request, Response } from 'express';
import { parse as parseCookies } from 'cookie';
import { ANONYMOUS, type Principal } from '../auth/principal.js';
import { SESSION_COOKIE } from '../http/authenticate.js';
import type { Sessions } from '../accounts/sessions.js';
import { StoreError } from '../errors.js';
import type { Csrf } from './csrf.js';
import type { StaticAssets } from './static-assets.js';

export interface WebContext {
  principal: Principal;
  /** The signed-in user (session cookie only: the web never takes bearer credentials). */
  user: { name: string; role: 'admin' | 'user'; sessionId: number | undefined } | undefined;
  cookies: Record<string, string | undefined>;
  /** The token this browser's forms carry (see csrf.ts). */
  csrf: string;
  /** Throws `forbidden` unless `sent` (or the X-CSRF-Token header) is this browser's token. */
  verifyCsrf(sent: unknown): void;
  assets: StaticAssets;
  /** The path and query of this page (to come back to after signing in). */
  here: string;
  /** The store's public base URL, without a trailing slash. */
  baseUrl: string;
  /** host[:port] of the store, as registry clients name it. */
  host: string;
}

declare module 'express-serve-static-core' {
  interface Locals {
    web: WebContext;
  }
}

export interface ContextDeps {
  sessions: Sessions;
  csrf: Csrf;
  assets: StaticAssets;
  publicUrl: string | undefined;
}

export async function webContext(
  req: Request,
  res: Response,
  deps: ContextDeps,
): Promise<WebContext> {
  const cookies: Record<string, string | undefined> = req.headers.cookie
    ? parseCookies(req.headers.cookie)
    : {};
  const session = cookies[SESSION_COOKIE];
  const principal = (session && (await deps.sessions.authenticate(session))) || ANONYMOUS;
  const baseUrl = baseUrlOf(deps.publicUrl, req);
  return {
    principal,
    user:
      principal.kind === 'user'
        ? { name: principal.name, role: principal.role, sessionId: principal.sessionId }
        : undefined,
    cookies,
    csrf: deps.csrf.token(req, res, cookies),
    verifyCsrf: (sent) => deps.csrf.verify(req, cookies, sent),
    assets: deps.assets,
    here: req.originalUrl,
    baseUrl,
    host: new URL(baseUrl).host,
  };
}

/**
 * The store's public base URL, without a trailing slash: `publicUrl` when configured, else the
 * Host the request was sent to (never a forwarded host: the store trusts no proxy header).
 */
export function baseUrlOf(publicUrl: string | undefined, req: Request): string {
  return (publicUrl ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`).replace(/\/+$/, '');
}

/** The signed-in user's principal; anyone else is sent to sign in (the error page links there). */
export function signedIn(ctx: WebContext): Extract<Principal, { kind: 'user' }> {
  if (ctx.principal.kind !== 'user') throw new StoreError('unauthorized', 'sign in first');
  return ctx.principal;
}
