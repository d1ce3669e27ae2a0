import type { AccessScope, RegistryAccess, RegistryActor } from '../../registry/index.js';
import { OciError } from '../../registry/index.js';
import type { MaybePromise } from './access-directory.js';
import { every } from './maybe-promise.js';
import type { Permissions } from './permissions.js';
import { ANONYMOUS, type Principal } from './principal.js';
import type { TokenClaims, TokenService } from './token-service.js';

/**
 * The registry's access check: a bearer token must grant the scope, and the permission module
 * must still allow it (so revocations need no token expiry). Without a usable token the client
 * gets the Docker challenge; with a token whose principal is not allowed, DENIED.
 */
export function createRegistryAccess(deps: {
  tokens: TokenService;
  permissions: Permissions;
  realmFor: (host: string | undefined) => string;
}): RegistryAccess {
  const { tokens, permissions } = deps;

  const challenge = (
    host: string | undefined,
    scope: AccessScope | undefined,
    error?: string,
  ): OciError => {
    const parts = [`realm="${deps.realmFor(host)}"`, `service="${tokens.service}"`];
    if (scope) parts.push(`scope="${scopeString(scope)}"`);
    if (error) parts.push(`error="${error}"`);
    return new OciError('UNAUTHORIZED').withHeader('WWW-Authenticate', `Bearer ${parts.join(',')}`);
  };

  async function claimsOf(
    authorization: string | undefined,
  ): Promise<TokenClaims | undefined | null> {
    if (!authorization) return undefined;
    if (!authorization.startsWith('Bearer ')) return null;
    return (await tokens.verify(authorization.slice(7).trim())) ?? null;
  }

  function permitted(principal: Principal, scope: AccessScope): MaybePromise<boolean> {
    if (scope.type === 'registry') return permissions.catalog(principal);
    return every(scope.actions, (action) => permissions.repository(principal, scope.name, action));
  }

  async function decide(
    authorization: string | undefined,
    scope: AccessScope | undefined,
    host: string | undefined,
  ): Promise<RegistryActor> {
    const claims = await claimsOf(authorization);
    if (claims === null) throw challenge(host, scope, 'invalid_token');
    if (!scope) {
      // The base check: a token of a revoked key or a disabled user no longer counts as signed in.
      const principal = claims ? principalOf(claims) : undefined;
      const active = principal?.kind === 'user' ? permissions.active(principal) : true;
      if (claims && (active instanceof Promise ? await active : active)) return actorOf(claims);
      throw challenge(host, undefined, claims ? 'invalid_token' : undefined);
    }
    const principal = claims ? principalOf(claims) : ANONYMOUS;
    // Awaited only on PostgreSQL: SQLite's answer is a value, and the request path gains no tick.
    const permits = permitted(principal, scope);
    const allowed = permits instanceof Promise ? await permits : permits;
    if (!claims) {
      if (allowed) return { name: 'anonymous', anonymous: true };
      throw challenge(host, scope);
    }
    // A cache reached by `ns=` or as Docker's mirror is named differently in the client's token
    // (`library/alpine`, not `hub/library/alpine`): there, being signed in with read is enough.
    const proxied = scope.type === 'repository' && permissions.proxied(scope.name);
    if (allowed && (proxied || grants(claims, scope))) return actorOf(claims);
    // Allowed but not in this token: the client asks the token endpoint again with the scope.
    // An anonymous caller is told to authenticate; a known one that may not, is denied.
    if (allowed || principal.kind === 'anonymous')
      throw challenge(host, scope, 'insufficient_scope');
    throw new OciError('DENIED', undefined, { scope: scopeString(scope) });
  }

  return {
    check: decide,
    async allows(authorization, scope, host) {
      try {
        await decide(authorization, scope, host);
        return true;
      } catch {
        return false;
      }
    },
  };
}

function actorOf(claims: TokenClaims): RegistryActor {
  return claims.sub
    ? { name: claims.sub, anonymous: false }
    : { name: 'anonymous', anonymous: true };
}

function grants(claims: TokenClaims, scope: AccessScope): boolean {
  const entry = claims.access.find((a) => a.type === scope.type && a.name === scope.name);
  return (
    !!entry &&
    scope.actions.every((action) => entry.actions.includes(action) || entry.actions.includes('*'))
  );
}

function principalOf(claims: TokenClaims): Principal {
  if (claims.uid === null || !claims.sub || !claims.role) return ANONYMOUS;
  return {
    kind: 'user',
    userId: claims.uid,
    name: claims.sub,
    role: claims.role,
    ...(claims.scp ? { keyScopes: claims.scp } : {}),
    ...(claims.kid !== null ? { keyId: claims.kid } : {}),
    ...(claims.pull ? { pullCredential: { id: claims.pull.id, appKey: claims.pull.app } } : {}),
  };
}

function scopeString(scope: AccessScope): string {
  if (scope.type === 'registry') return `registry:${scope.name}:*`;
  const actions = scope.actions.includes('push') ? ['pull', 'push'] : scope.actions;
  return `repository:${scope.name}:${actions.join(',')}`;
}
