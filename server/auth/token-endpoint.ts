/**
 * The registry's token realm (`/v2/token`): Docker token authentication with basic credentials
 * (user name + access key, or the pull credentials of an install template), and the OAuth2
 * password grant some clients use. Anonymous callers get a token with whatever the rules allow
 * anonymously.
 */
import type { Request, RequestHandler, Response } from 'express';
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
}): RequestHandler {
  const authenticate = (password: string, username: string): Principal | undefined =>
    deps.pulls.authenticate(password, username) ?? deps.keys.authenticate(password, username);

  const grant = (principal: Principal, requested: TokenAccess[]): TokenAccess[] =>
    requested
      .map((r): TokenAccess => {
        if (r.type === 'registry') {
          return {
            ...r,
            actions: r.name === 'catalog' && deps.permissions.catalog(principal) ? ['*'] : [],
          };
        }
        const actions = r.actions.filter(
          (a): a is RepositoryAction =>
            (REPOSITORY_ACTIONS as readonly string[]).includes(a) &&
            deps.permissions.repository(principal, r.name, a as RepositoryAction),
        );
        return { ...r, actions };
      })
      .filter((r) => r.actions.length > 0);

  const respond = async (res: Response, principal: Principal, scopes: string[]): Promise<void> => {
    const access = grant(principal, parseScopes(scopes));
    const { token, expiresIn, issuedAt } = await deps.tokens.issue(principal, access);
    res
      .set('Cache-Control', 'no-store')
      .json({ token, access_token: token, expires_in: expiresIn, issued_at: issuedAt });
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
      const principal = authenticate(body.password, body.username);
      if (!principal) return refuse(res);
      return respond(res, principal, typeof body.scope === 'string' ? [body.scope] : []);
    }
    const scopes = ([] as unknown[])
      .concat(req.query.scope ?? [])
      .filter((s): s is string => typeof s === 'string');
    const basic = parseBasic(req.headers.authorization);
    if (basic === null) return refuse(res);
    let principal: Principal = ANONYMOUS;
    if (basic) {
      const found = authenticate(basic.password, basic.username);
      if (!found) return refuse(res);
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
