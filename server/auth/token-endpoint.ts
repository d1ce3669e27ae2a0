/**
 * The registry's token realm (`/v2/token`): Docker token authentication with basic credentials
 * (user name + access key, or the pull credentials of an install template), and the OAuth2
 * password grant some clients use. Anonymous callers get a token with whatever the rules allow
 * anonymously. Failed credentials are counted per address and user name; past the limit the
 * answer is 429 with Retry-After.
 */
import type { Request, RequestHandler, Response } from 'express';
import type { Attempt, FailedCredentials } from '../accounts/failed-credentials.js';
import { addressOf } from '../http/authenticate.js';
import type { AccessKeys } from './access-keys.js';
import type { Permissions, RepositoryAction } from './permissions.js';
import { ANONYMOUS, type Principal } from './principal.js';
import type { PullCredentials } from './pull-credentials.js';
import { parseScopes, type TokenAccess, type TokenService } from './token-service.js';

const REPOSITORY_ACTIONS: readonly RepositoryAction[] = ['pull', 'push', 'delete'];

export function tokenEndpoint(deps: {
  tokens: TokenService;
  keys: AccessKeys;
  pulls: PullCredentials;
  permissions: Permissions;
  failures: FailedCredentials;
}): RequestHandler {
  const grant = async (principal: Principal, requested: TokenAccess[]): Promise<TokenAccess[]> => {
    const granted: TokenAccess[] = [];
    for (const r of requested) {
      if (r.type === 'registry') {
        if (r.name === 'catalog' && (await deps.permissions.catalog(principal)))
          granted.push({ ...r, actions: ['*'] });
        continue;
      }
      const actions: RepositoryAction[] = [];
      for (const a of r.actions) {
        if (!(REPOSITORY_ACTIONS as readonly string[]).includes(a)) continue;
        const allowed = deps.permissions.repository(principal, r.name, a as RepositoryAction);
        if (allowed instanceof Promise ? await allowed : allowed)
          actions.push(a as RepositoryAction);
      }
      if (actions.length > 0) granted.push({ ...r, actions });
    }
    return granted;
  };

  const respond = async (res: Response, principal: Principal, scopes: string[]): Promise<void> => {
    const access = await grant(principal, parseScopes(scopes));
    const { token, expiresIn, issuedAt } = await deps.tokens.issue(principal, access);
    res
      .set('Cache-Control', 'no-store')
      .json({ token, access_token: token, expires_in: expiresIn, issued_at: issuedAt });
  };

  /** Answers 429 when the attempt is refused before its credentials are checked. */
  const limited = (res: Response, attempt: Attempt): boolean => {
    const refused = deps.failures.refusal(attempt);
    if (!refused) return false;
    res
      .status(429)
      .set('Retry-After', String(refused.retryAfterSeconds))
      .json({
        errors: [
          {
            code: 'TOOMANYREQUESTS',
            message: `too many failed sign-ins ${refused.by === 'name' ? 'for this user name' : 'from this address'}; try again later`,
            detail: { retryAfterSeconds: refused.retryAfterSeconds },
          },
        ],
      });
    return true;
  };

  /** Checks a user name and access key; a failure is counted, and answered 401. */
  const authenticate = async (
    res: Response,
    attempt: Attempt,
    password: string,
  ): Promise<Principal | undefined> => {
    const principal =
      (await deps.pulls.authenticate(password, attempt.name ?? '')) ??
      (await deps.keys.authenticate(password, attempt.name));
    if (!principal) {
      deps.failures.failed(attempt, 'wrong user name or access key');
      refuse(res);
    }
    return principal;
  };

  const refuse = (res: Response): void => {
    res
      .status(401)
      .set('WWW-Authenticate', 'Basic realm="appshelf"')
      .json({
        errors: [{ code: 'UNAUTHORIZED', message: 'invalid username or access key', detail: null }],
      });
  };

  return async (req: Request, res: Response) => {
    const address = addressOf(req);
    if (req.method === 'POST') {
      const body = (req.body ?? {}) as Record<string, unknown>;
      if (
        body.grant_type !== 'password' ||
        typeof body.username !== 'string' ||
        typeof body.password !== 'string'
      ) {
        res.status(400).json({ error: 'unsupported_grant_type' });
        return;
      }
      const attempt: Attempt = { door: 'token', address, name: body.username };
      if (limited(res, attempt)) return;
      const principal = await authenticate(res, attempt, body.password);
      if (!principal) return;
      return respond(res, principal, typeof body.scope === 'string' ? [body.scope] : []);
    }
    const scopes = ([] as unknown[])
      .concat(req.query.scope ?? [])
      .filter((s): s is string => typeof s === 'string');
    const basic = parseBasic(req.headers.authorization);
    if (basic === null) {
      const attempt: Attempt = { door: 'token', address };
      if (limited(res, attempt)) return;
      deps.failures.failed(attempt, 'malformed credentials');
      return refuse(res);
    }
    let principal: Principal = ANONYMOUS;
    if (basic) {
      const attempt: Attempt = { door: 'token', address, name: basic.username };
      if (limited(res, attempt)) return;
      const found = await authenticate(res, attempt, basic.password);
      if (!found) return;
      principal = found;
    }
    return respond(res, principal, scopes);
  };
}

/** undefined: no credentials; null: malformed ones. */
function parseBasic(
  header: string | undefined,
): { username: string; password: string } | undefined | null {
  if (!header) return undefined;
  if (!header.startsWith('Basic ')) return null;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return null;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
