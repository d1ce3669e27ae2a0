/**
 * The one place that answers "may this principal do this on that". Every route asks it: the
 * registry token endpoint (which actions go into a token), the /v2 access check, the APIs.
 */
import type { Principal } from './principal.js';

export type RepositoryAction = 'pull' | 'push' | 'delete';

export interface PermissionRules {
  anonymousPull: boolean;
}

export class Permissions {
  constructor(private readonly rules: PermissionRules) {}

  /** May `p` do `action` on repository `name` (`<namespace>/<app>`)? */
  repository(p: Principal, name: string, action: RepositoryAction): boolean {
    if (p.kind === 'anonymous') return action === 'pull' && this.rules.anonymousPull;
    if (p.role === 'admin' && this.keyAllows(p, action)) return true;
    if (!this.keyAllows(p, action)) return false;
    const namespace = name.split('/')[0];
    if (namespace === p.name) return true;
    return action === 'pull' && this.rules.anonymousPull;
  }

  catalog(p: Principal): boolean {
    return this.admin(p);
  }

  admin(p: Principal): boolean {
    return p.kind === 'user' && p.role === 'admin';
  }

  /** An access key narrows what its owner may do: `push` needs the push scope, anything else read. */
  private keyAllows(p: Extract<Principal, { kind: 'user' }>, action: RepositoryAction): boolean {
    if (!p.keyScopes) return true;
    if (action === 'pull') return p.keyScopes.length > 0;
    return p.keyScopes.includes('push');
  }
}
