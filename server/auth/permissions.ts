/**
 * The one place that answers "may this principal do this on that". Every route asks it: the
 * registry token endpoint (which actions go into a token), the /v2 access check on every request,
 * and the store APIs. test/server/permission-table.test.ts pins every rule from the outside.
 *
 * Rules:
 * - A disabled user, a revoked or an expired key may do nothing.
 * - An access key narrows its owner: `push` (and delete, and any change) needs the push scope;
 *   reading needs any scope.
 * - admin may do everything (within the key's scopes).
 * - Members of a namespace (owner, maintainer, member) read and push its repositories; owners and
 *   maintainers delete, and change its apps; owners manage an organisation's members.
 * - Anyone signed in reads listed apps; anonymous callers do when `registry.anonymousPull` is on.
 *   With that switch on, repositories that are not apps (plain images) are public too. Unlisted
 *   apps are always their members' alone.
 */
import type { MemberRole } from '../accounts/namespaces.js';
import type { AccessDirectory } from './access-directory.js';
import type { Principal } from './principal.js';

export type RepositoryAction = 'pull' | 'push' | 'delete';
/** What may be done to a namespace itself or its apps through the store API. */
export type NamespaceAction = 'read' | 'push' | 'manage-apps' | 'manage-members';

export interface PermissionRules {
  anonymousPull: boolean;
}

type User = Extract<Principal, { kind: 'user' }>;

const ROLE_ALLOWS: Record<MemberRole, readonly NamespaceAction[]> = {
  owner: ['read', 'push', 'manage-apps', 'manage-members'],
  maintainer: ['read', 'push', 'manage-apps'],
  member: ['read', 'push'],
};

export class Permissions {
  constructor(
    private readonly rules: PermissionRules,
    private readonly directory: AccessDirectory,
    private readonly clock: () => number = Date.now,
  ) {}

  /** May `p` do `action` on repository `name` (`<namespace>/<app>[/...]`)? */
  repository(p: Principal, name: string, action: RepositoryAction): boolean {
    const [namespace = '', app = ''] = name.split('/');
    if (action === 'pull') return this.readApp(p, namespace, app);
    return this.namespace(p, namespace, action === 'push' ? 'push' : 'manage-apps');
  }

  /**
   * May `p` read app `<namespace>/<app>` (its page, template and images)? Listed apps are public;
   * the rest belong to the namespace's members.
   */
  readApp(p: Principal, namespace: string, app: string): boolean {
    if (p.kind === 'anonymous') return this.rules.anonymousPull && this.directory.appListed(namespace, app) !== false;
    if (!this.active(p) || !scopeAllows(p, 'read')) return false;
    if (p.role === 'admin' || this.directory.roleOf(p.userId, namespace)) return true;
    const listed = this.directory.appListed(namespace, app);
    return listed === true || (listed === undefined && this.rules.anonymousPull);
  }

  /** Whether the store shows app `<namespace>/<app>` to `p` in listings (not gated by anonymousPull). */
  seeApp(p: Principal, namespace: string, listed: boolean): boolean {
    if (listed) return p.kind === 'anonymous' || this.active(p);
    return p.kind === 'user' && this.active(p) && (p.role === 'admin' || !!this.directory.roleOf(p.userId, namespace));
  }

  /** May `p` do `action` in `namespace` (push into it, change its apps, manage its members)? */
  namespace(p: Principal, namespace: string, action: NamespaceAction): boolean {
    if (p.kind === 'anonymous' || !this.active(p)) return false;
    if (!scopeAllows(p, action === 'read' ? 'read' : 'push')) return false;
    if (p.role === 'admin') return true;
    const role = this.directory.roleOf(p.userId, namespace);
    return !!role && ROLE_ALLOWS[role].includes(action);
  }

  catalog(p: Principal): boolean {
    return this.admin(p);
  }

  admin(p: Principal): boolean {
    return p.kind === 'user' && p.role === 'admin' && this.active(p) && scopeAllows(p, 'push');
  }

  /** The principal's credentials still work (checked on every decision, so revocation is instant). */
  active(p: User): boolean {
    return this.directory.credentialsActive(p.userId, p.keyId, this.clock());
  }
}

/** An access key's scopes: anything that changes state needs `push`; reading needs any scope. */
function scopeAllows(p: User, need: 'read' | 'push'): boolean {
  if (!p.keyScopes) return true;
  return need === 'read' ? p.keyScopes.length > 0 : p.keyScopes.includes('push');
}
