import type { Request, RequestHandler } from 'express';
import { parse as parseCookies } from 'cookie';
import type { AccessKeys } from '../auth/access-keys.js';
import { isRobot } from '../auth/permissions.js';
import { ANONYMOUS, type Principal } from '../auth/principal.js';
import type { Attempt, FailedCredentials } from '../accounts/failed-credentials.js';
import type { Sessions } from '../accounts/sessions.js';
import { SESSION_PREFIX } from '../accounts/sessions.js';
import { StoreError } from '../errors.js';

export const SESSION_COOKIE = 'appshelf_session';

declare module 'express-serve-static-core' {
  interface Locals {
    principal: Principal;
    /** The session cookie alone signed the caller in (a browser sends it with any request). */
    viaSessionCookie: boolean;
  }
}

interface AuthenticateDeps {
  keys: AccessKeys;
  sessions: Sessions;
  failures: FailedCredentials;
}

/**
 * Resolves the caller into res.locals.principal: `Authorization: Bearer <session token or access
 * key>`, else the session cookie, else anonymous. A bad bearer credential is an error (the client
 * meant to authenticate) and counts as a failed credential; past the limit, 429. A stale cookie
 * just reads as anonymous, so the web can sign in again.
 */
export function authenticate(deps: AuthenticateDeps): RequestHandler {
  return async (req, res, next) => {
    const principal = await principalOf(req, deps);
    res.locals.principal = principal;
    res.locals.viaSessionCookie = !req.headers.authorization && principal.kind === 'user';
    next();
  };
}

async function principalOf(req: Request, deps: AuthenticateDeps): Promise<Principal> {
  const header = req.headers.authorization;
  if (header) {
    const address = addressOf(req);
    const refuseIfLimited = (attempt: Attempt): void => {
      const refused = deps.failures.refusal(attempt);
      if (refused)
        throw new StoreError(
          'rate_limited',
          `too many failed sign-ins ${refused.by === 'name' ? 'for this user' : 'from this address'}; try again later`,
          { retryAfterSeconds: refused.retryAfterSeconds },
        );
    };
    refuseIfLimited({ door: 'api', address });
    if (!header.startsWith('Bearer ')) {
      deps.failures.failed({ door: 'api', address }, 'not a bearer credential');
      throw new StoreError(
        'unauthorized',
        'expected Authorization: Bearer <session token or access key>',
      );
    }
    const credential = header.slice(7).trim();
    const isSession = credential.startsWith(SESSION_PREFIX);
    const principal = isSession
      ? await deps.sessions.authenticate(credential)
      : await deps.keys.authenticate(credential);
    // A robot's keys (Rainstore publish and install) work on the registry only.
    if (!principal || isRobot(principal)) {
      // A wrong key that starts like a user's key is a guess at that user's key.
      const name = isSession ? undefined : await deps.keys.ownerOf(credential);
      deps.failures.failed(
        { door: 'api', address, name },
        'unknown, revoked or expired credentials',
      );
      throw new StoreError('unauthorized', 'unknown, revoked or expired credentials');
    }
    // A user whose keys are being guessed is locked for keys (a session is no guessable credential).
    if (!isSession && principal.kind === 'user')
      refuseIfLimited({ door: 'api', address, name: principal.name });
    return principal;
  }
  const cookie = req.headers.cookie ? parseCookies(req.headers.cookie)[SESSION_COOKIE] : undefined;
  return (cookie && (await deps.sessions.authenticate(cookie))) || ANONYMOUS;
}

export function requireUser(p: Principal): Extract<Principal, { kind: 'user' }> {
  if (p.kind !== 'user') throw new StoreError('unauthorized', 'sign in or send an access key');
  return p;
}

/** The caller's address for audit and rate limits (the socket's; no proxy is trusted by default). */
export function addressOf(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? '';
}
