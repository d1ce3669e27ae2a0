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
 *   maintainers delete, and change its apps; owners manage an organisation's members (invite,
 *   see and withdraw invitations, change roles, remove) and its profile (`edit-profile`).
 * - A namespace's webhooks (its own and its apps': their URLs, delivery history, redelivery) are
 *   its owners' and the admin's (`manage-webhooks`): a hook sends what happens in the namespace to
 *   a URL of the caller's choosing, so it is an owner's decision like membership.
 * - A namespace's storage usage (against its quota) is its owners' (any scope) and the admin's
 *   (`view-usage`); quotas are set by the admin alone.
 * - Anyone signed in with a session or a push key creates organisations (becoming their owner);
 *   robots and install pull credentials do not.
 * - A member decides alone whether their membership shows on the organisation's publisher page
 *   (a session or the push scope); an owner cannot make it public for them.
 * - Everyone signed in sees the invitations addressed to them (any scope) and answers them
 *   (a session or the push scope).
 * - Anyone signed in reads listed apps; anonymous callers do when `registry.anonymousPull` is on.
 *   With that switch on, repositories that are not apps (plain images) are public too. Unlisted
 *   apps are always their members' alone.
 * - A robot (user `robot$<appKey>`, made by the Rainstore API for one app) pulls that app's
 *   repository and the repositories under it (`<namespace>/<app>/...`), pushes only under it, and
 *   does nothing else; its keys' scopes narrow it like any key.
 * - Installing an app (its template with pull credentials) needs reading it and, with a key, the
 *   install or push scope: scopes are cumulative, push ⊇ install ⊇ read.
 * - Pull credentials of an install template (pull-credentials.ts) stand for their installer's key,
 *   narrowed to pulling that one app's repository and the ones under it: only while the key works,
 *   its owner may still read the app (a non-member loses it when the app is unlisted or deleted)
 *   and the credentials have not expired. They do nothing else.
 * - A mirrored app (copied from a `mirror.upstreams` entry) is read-only for everyone, admins
 *   included: no push or delete on its repositories, no change through the store API. Only the
 *   mirror writes it, in-process.
 */
import type { MemberRole } from '../accounts/namespaces.js';
import type { AccessDirectory, MaybePromise } from './access-directory.js';
import { and, or, then } from './maybe-promise.js';
import type { KeyScope, Principal } from './principal.js';

export type RepositoryAction = 'pull' | 'push' | 'delete';
/**
 * What may be done to a namespace itself or its apps through the store API.
 * `govern`: the namespace's rules (immutable versions, retention), running them (a retention run
 * removes versions), and the explicit way past them (republishing or force-removing an immutable
 * version): owners only, since installers rely on what they protect.
 * `edit-profile`: an organisation's profile on its publisher page (display name, about, website,
 * logo): owners only, since it speaks for every member.
 * `view-usage`: the namespace's storage use against its quota (set by the admin alone): owners
 * only, like the rest of what the namespace costs; a read, so any key scope sees it.
 */
export type NamespaceAction =
  | 'read'
  | 'push'
  | 'manage-apps'
  | 'manage-members'
  | 'manage-webhooks'
  | 'govern'
  | 'view-usage'
  | 'edit-profile';

export interface PermissionRules {
  anonymousPull: boolean;
  /**
   * Pull-through caches (`registry.proxies`): the repositories under `<name>/` are theirs. Anyone
   * pulls through one with `anonymousPull`, else any signed-in principal with read does (robots
   * and install pull credentials, narrowed to one app, do not); nobody pushes or deletes there.
   */
  proxies?: readonly { name: string; anonymousPull: boolean }[];
}

type User = Extract<Principal, { kind: 'user' }>;
type PullOnly = User & { pullCredential: NonNullable<User['pullCredential']> };

/** Whether `p` came from the pull credentials of an install template. */
function pullOnly(p: Principal): p is PullOnly {
  return p.kind === 'user' && p.pullCredential !== undefined;
}

/** How long `active` trusts its answer for one principal object (one request's decisions). */
const ACTIVE_MEMO_MS = 50;

const ROBOT_PREFIX = 'robot$';

/** The user name of app `appKey`'s robot; `$` is never in a person's name (names.ts). */
export function robotName(appKey: string): string {
  return `${ROBOT_PREFIX}${appKey}`;
}

export function isRobot(p: Principal): boolean {
  return p.kind === 'user' && isRobotName(p.name);
}

export function isRobotName(name: string): boolean {
  return name.startsWith(ROBOT_PREFIX);
}

const ROLE_ALLOWS: Record<MemberRole, readonly NamespaceAction[]> = {
  owner: [
    'read',
    'push',
    'manage-apps',
    'manage-members',
    'manage-webhooks',
    'govern',
    'view-usage',
    'edit-profile',
  ],
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
  repository(p: Principal, name: string, action: RepositoryAction): MaybePromise<boolean> {
    const proxy = this.proxyOf(name);
    if (proxy) return action === 'pull' && this.proxyPull(p, proxy);
    if (p.kind === 'user' && isRobot(p)) return this.robotRepository(p, name, action);
    const [namespace = '', app = ''] = name.split('/');
    if (pullOnly(p)) return action === 'pull' && this.readApp(p, namespace, app);
    if (action === 'pull') return this.readApp(p, namespace, app);
    return and(
      then(this.mirroredFrom(namespace, app), (upstream) => upstream === undefined),
      () => this.namespace(p, namespace, action === 'push' ? 'push' : 'manage-apps'),
    );
  }

  /** Whether `name` is a repository of a pull-through cache (its first component is a proxy's). */
  proxied(name: string): boolean {
    return this.proxyOf(name) !== undefined;
  }

  private proxyOf(name: string): { name: string; anonymousPull: boolean } | undefined {
    const proxies = this.rules.proxies;
    if (!proxies?.length) return undefined;
    const first = name.slice(0, name.indexOf('/'));
    return proxies.find((proxy) => proxy.name === first);
  }

  private proxyPull(p: Principal, proxy: { anonymousPull: boolean }): MaybePromise<boolean> {
    if (proxy.anonymousPull) return true;
    if (p.kind !== 'user' || isRobot(p) || pullOnly(p)) return false;
    return and(this.active(p), () => scopeAllows(p, 'read'));
  }

  /** May `p` change app `<namespace>/<app>` (texts, logo, shelf, packages, versions, delete)? */
  changeApp(p: Principal, namespace: string, app: string): MaybePromise<boolean> {
    return and(this.namespace(p, namespace, 'manage-apps'), () =>
      then(this.mirroredFrom(namespace, app), (upstream) => upstream === undefined),
    );
  }

  /** The mirror upstream app `<namespace>/<app>` comes from: it is then read-only here. */
  mirroredFrom(namespace: string, app: string): MaybePromise<string | undefined> {
    return app === '' ? undefined : this.directory.appMirror(namespace, app);
  }

  /**
   * May `p` read app `<namespace>/<app>` (its page, template and images)? Listed apps are public;
   * the rest belong to the namespace's members.
   */
  readApp(p: Principal, namespace: string, app: string): MaybePromise<boolean> {
    if (p.kind === 'anonymous')
      return (
        this.rules.anonymousPull &&
        then(this.directory.appListed(namespace, app), (listed) => listed !== false)
      );
    if (!scopeAllows(p, 'read')) return false;
    return and(this.active(p), () => {
      if (isRobot(p))
        return then(this.robotApp(p), (robotApp) => robotApp === `${namespace}/${app}`);
      // Pull credentials read their one app alone, then as their installer would.
      return and(
        pullOnly(p) ? then(this.pullApp(p), (pulled) => pulled === `${namespace}/${app}`) : true,
        () =>
          or(p.role === 'admin' || then(this.directory.roleOf(p.userId, namespace), Boolean), () =>
            then(
              this.directory.appListed(namespace, app),
              (listed) => listed === true || (listed === undefined && this.rules.anonymousPull),
            ),
          ),
      );
    });
  }

  /** May `p` take app `<namespace>/<app>` for install: read it, with the install right. */
  installApp(p: Principal, namespace: string, app: string): MaybePromise<boolean> {
    return p.kind === 'user' && scopeAllows(p, 'install') && this.readApp(p, namespace, app);
  }

  /**
   * The rights `p`'s credentials carry at all (before any namespace or app), cumulative: a session
   * has all three, a key its scopes' closure, anonymous `read`, dead credentials and robots none.
   */
  rights(p: Principal): MaybePromise<KeyScope[]> {
    if (p.kind === 'anonymous') return ['read'];
    if (isRobot(p) || pullOnly(p)) return [];
    return then(this.active(p), (active) =>
      active ? (['read', 'install', 'push'] as const).filter((need) => scopeAllows(p, need)) : [],
    );
  }

  /** Whether the store shows app `<namespace>/<app>` to `p` in listings (not gated by anonymousPull). */
  seeApp(p: Principal, namespace: string, listed: boolean): MaybePromise<boolean> {
    if (pullOnly(p)) return false;
    if (p.kind === 'anonymous') return listed;
    return and(this.active(p), () => listed || this.member(p, namespace, true));
  }

  /** Whether `p` is a member of `namespace` (a role in it; an admin's role over all is not one). */
  memberOf(p: Principal, namespace: string): MaybePromise<boolean> {
    return p.kind === 'user' && this.member(p, namespace, false);
  }

  /** A role of `p` in `namespace`, or (when `adminCounts`) the admin's over all. */
  private member(p: User, namespace: string, adminCounts: boolean): MaybePromise<boolean> {
    if (adminCounts && p.role === 'admin') return true;
    return then(this.directory.roleOf(p.userId, namespace), Boolean);
  }

  /** May `p` do `action` in `namespace` (push into it, change its apps, manage its members)? */
  namespace(p: Principal, namespace: string, action: NamespaceAction): MaybePromise<boolean> {
    if (p.kind === 'anonymous' || pullOnly(p)) return false;
    const reads = action === 'read' || action === 'view-usage';
    if (!scopeAllows(p, reads ? 'read' : 'push')) return false;
    return and(this.active(p), () => {
      if (p.role === 'admin') return true;
      return then(
        this.directory.roleOf(p.userId, namespace),
        (role) => !!role && ROLE_ALLOWS[role].includes(action),
      );
    });
  }

  /**
   * May `p` see the invitations addressed to them (`read`), or answer one (`answer`: joining an
   * organisation is a change, so a key needs the push scope)? Robots have none to see.
   */
  ownInvitations(p: Principal, action: 'read' | 'answer'): MaybePromise<boolean> {
    if (p.kind === 'anonymous' || isRobot(p)) return false;
    return scopeAllows(p, action === 'read' ? 'read' : 'push') && this.active(p);
  }

  /** May `p` create an organisation (and own it)? A change, so a key needs the push scope. */
  createOrg(p: Principal): MaybePromise<boolean> {
    if (p.kind === 'anonymous' || isRobot(p) || pullOnly(p)) return false;
    return scopeAllows(p, 'push') && this.active(p);
  }

  /** May `p` change their own membership's visibility? A change: a session or the push scope. */
  ownMembership(p: Principal): MaybePromise<boolean> {
    if (p.kind === 'anonymous' || isRobot(p) || pullOnly(p)) return false;
    return scopeAllows(p, 'push') && this.active(p);
  }

  catalog(p: Principal): MaybePromise<boolean> {
    return this.admin(p);
  }

  admin(p: Principal): MaybePromise<boolean> {
    if (p.kind !== 'user' || p.role !== 'admin' || pullOnly(p)) return false;
    return scopeAllows(p, 'push') && this.active(p);
  }

  /** A robot's app, `<namespace>/<app>`, while the app exists. */
  private robotApp(p: User): MaybePromise<string | undefined> {
    return this.appOfKey(p.name.slice(ROBOT_PREFIX.length));
  }

  /** The app that pull credentials were issued for, `<namespace>/<app>`, while it exists. */
  private pullApp(p: PullOnly): MaybePromise<string | undefined> {
    return this.appOfKey(p.pullCredential.appKey);
  }

  private appOfKey(appKey: string): MaybePromise<string | undefined> {
    return then(this.directory.appOfKey(appKey), (app) => app && `${app.namespace}/${app.name}`);
  }

  private robotRepository(p: User, name: string, action: RepositoryAction): MaybePromise<boolean> {
    if (action === 'delete') return false;
    return and(this.active(p), () =>
      then(this.robotApp(p), (app) => {
        if (!app) return false;
        if (action === 'push') return scopeAllows(p, 'push') && name.startsWith(`${app}/`);
        return scopeAllows(p, 'read') && (name === app || name.startsWith(`${app}/`));
      }),
    );
  }

  /** The principal's credentials still work (checked on every decision, so revocation is instant). */
  active(p: User): MaybePromise<boolean> {
    // One decision asks several times for the same principal object (each action of a registry
    // scope); the answer is kept for that object for a few milliseconds, so it costs one lookup
    // per request while a revocation still counts on the next one. A pending answer is kept too,
    // so a request's decisions made at once share one query.
    const now = this.clock();
    const memo = this.activeMemo.get(p);
    if (memo && now - memo.at < ACTIVE_MEMO_MS) return memo.active;
    const asked = p.pullCredential
      ? p.keyId !== undefined &&
        this.directory.pullCredentialActive(p.pullCredential.id, p.keyId, p.userId, now)
      : this.directory.credentialsActive(p.userId, p.keyId, now);
    if (!(asked instanceof Promise)) {
      this.activeMemo.set(p, { at: now, active: asked });
      return asked;
    }
    const entry: { at: number; active: MaybePromise<boolean> } = { at: now, active: asked };
    this.activeMemo.set(p, entry);
    asked.then(
      (active) => {
        entry.active = active;
      },
      () => {
        if (this.activeMemo.get(p) === entry) this.activeMemo.delete(p);
      },
    );
    return asked;
  }

  private readonly activeMemo = new WeakMap<User, { at: number; active: MaybePromise<boolean> }>();
}

/**
 * An access key's scopes: anything that changes state needs `push`; installing needs `install` or
 * `push`; reading needs any scope.
 */
function scopeAllows(p: User, need: KeyScope): boolean {
  if (!p.keyScopes) return true;
  if (need === 'read') return p.keyScopes.length > 0;
  return p.keyScopes.includes('push') || (need === 'install' && p.keyScopes.includes('install'));
}
