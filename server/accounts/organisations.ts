/**
 * Organisations as their owners and members manage them: creating one, its members and their
 * roles, inviting, withdrawing, removing and leaving. The /api/v1/orgs routes and the web's
 * organisation pages both call this one service, so the permission checks (permissions.ts) and
 * the audit rows are the same whichever way a change comes in. Joining happens by invitation
 * only (invitations.ts); the rules that keep an owner live in namespaces.ts.
 */
import type { Permissions } from '../auth/permissions.js';
import type { Principal } from '../auth/principal.js';
import { StoreError } from '../errors.js';
import type { AuditLog } from './audit-log.js';
import type { InvitationView, Invitations } from './invitations.js';
import type { MemberRole, Namespaces } from './namespaces.js';
import type { Users } from './users.js';

type User = Extract<Principal, { kind: 'user' }>;

/** Who acts, and from where (the audit log's address). */
export interface OrgCaller {
  principal: User;
  address: string;
}

export interface OrgView {
  name: string;
  displayName: string;
  kind: 'org';
  about: string;
  website: string;
  /** Where the logo is served, or null without one. */
  logoUrl: string | null;
  createdAt: string;
}

/** What an owner may change of the organisation's profile (validated by the caller). */
export interface OrgProfileChange {
  displayName?: string | undefined;
  about?: string | undefined;
  website?: string | undefined;
}

/** The logo's largest size, as a user's avatar. */
export const MAX_ORG_LOGO_BYTES = 512 * 1024;

export type OrgMember = Awaited<ReturnType<Namespaces['members']>>[number];

export class Organisations {
  constructor(
    private readonly deps: {
      namespaces: Namespaces;
      users: Users;
      invitations: Invitations;
      permissions: Permissions;
      audit: AuditLog;
    },
  ) {}

  /** Organisation `name`, or the documented not_found. */
  async get(name: string): Promise<OrgView> {
    const ns = await this.deps.namespaces.get(name);
    if (!ns || ns.kind !== 'org') throw new StoreError('not_found', `no organisation "${name}"`);
    return {
      name: ns.name,
      displayName: ns.displayName,
      kind: 'org',
      about: ns.about,
      website: ns.website,
      logoUrl: ns.logoType ? `/api/v1/orgs/${encodeURIComponent(ns.name)}/logo` : null,
      createdAt: new Date(ns.createdAt).toISOString(),
    };
  }

  /** Changes the organisation's profile (owners and admins). */
  async updateProfile(by: OrgCaller, org: string, change: OrgProfileChange): Promise<OrgView> {
    const ns = await this.get(org);
    await this.requireOwner(by.principal, ns.name);
    const set = Object.fromEntries(
      Object.entries(change).filter(([, v]) => v !== undefined),
    ) as Record<'displayName' | 'about' | 'website', string>;
    await this.deps.namespaces.updateProfile(ns.name, set);
    await this.record(by, 'org.updated', ns.name, { fields: Object.keys(set) });
    return await this.get(ns.name);
  }

  /** Sets (or with null, removes) the logo; its type was told from its bytes by the caller. */
  async setLogo(
    by: OrgCaller,
    org: string,
    logo: { bytes: Buffer; type: string } | null,
  ): Promise<OrgView> {
    const ns = await this.get(org);
    await this.requireOwner(by.principal, ns.name);
    if (logo && logo.bytes.length > MAX_ORG_LOGO_BYTES)
      throw new StoreError('too_large', 'the logo is larger than 512 KiB');
    await this.deps.namespaces.setLogo(ns.name, logo?.bytes ?? null, logo?.type ?? null);
    await this.record(
      by,
      'org.logo',
      ns.name,
      logo ? { type: logo.type, bytes: logo.bytes.length } : { removed: true },
    );
    return await this.get(ns.name);
  }

  /** The logo's bytes and type; not_found without one. */
  async logo(org: string): Promise<{ bytes: Buffer; type: string }> {
    const logo = await this.deps.namespaces.logo((await this.get(org)).name);
    if (!logo) throw new StoreError('not_found', 'no logo');
    return logo;
  }

  /** A new organisation owned by the caller (names as a user's: names.ts). */
  async create(by: OrgCaller, name: string, displayName: string): Promise<OrgView> {
    if (!(await this.deps.permissions.createOrg(by.principal)))
      throw new StoreError('forbidden', 'creating an organisation needs a session or a push key');
    await this.deps.namespaces.createOrg(name, displayName, by.principal.userId);
    await this.record(by, 'org.created', name);
    return await this.get(name);
  }

  /** The organisations `p` belongs to, with their role in each. */
  async mine(p: User): Promise<(OrgView & { role: MemberRole })[]> {
    const orgs = (await this.deps.namespaces.membershipsOf(p.userId)).filter(
      (m) => m.kind === 'org',
    );
    return Promise.all(orgs.map(async (m) => ({ ...(await this.get(m.namespace)), role: m.role })));
  }

  /** The members of `org`: its members (and admins) see them. */
  async members(p: Principal, org: string): Promise<OrgMember[]> {
    const ns = await this.get(org);
    if (!(await this.deps.permissions.namespace(p, ns.name, 'read')))
      throw new StoreError('forbidden', 'only members see the members');
    return this.deps.namespaces.members(ns.name);
  }

  /** The members of `org` who chose to show their membership (anyone sees them). */
  async publicMembers(org: string): Promise<OrgMember[]> {
    return (await this.deps.namespaces.members((await this.get(org)).name)).filter((m) => m.public);
  }

  /** The organisations user `userName` shows they belong to (anyone sees them). */
  async shownBy(userName: string): Promise<{ name: string; displayName: string }[]> {
    const user = await this.deps.users.byName(userName);
    return user && !user.disabled ? this.deps.namespaces.shownOrgsOf(user.id) : [];
  }

  /** The caller shows (or hides) their own membership of `org` on its publisher page. */
  async setPublic(
    by: OrgCaller,
    org: string,
    userName: string,
    visible: boolean,
  ): Promise<OrgMember[]> {
    const ns = await this.get(org);
    if (userName !== by.principal.name)
      throw new StoreError('forbidden', 'each member shows or hides their own membership');
    if (!(await this.deps.permissions.ownMembership(by.principal)))
      throw new StoreError('forbidden', 'showing a membership needs a session or a push key');
    if (!(await this.deps.namespaces.setPublic(ns.name, by.principal.userId, visible)))
      throw new StoreError('not_found', `you are not a member of ${ns.name}`);
    await this.record(
      by,
      visible ? 'member.shown' : 'member.hidden',
      `${ns.name}/${by.principal.name}`,
    );
    return this.deps.namespaces.members(ns.name);
  }

  /** Whether `p` may change `org`'s members (its owners and the admin). */
  async mayManage(p: Principal, org: string): Promise<boolean> {
    return this.deps.permissions.namespace(p, org, 'manage-members');
  }

  /** Whether `p` may change `org`'s profile (its owners and the admin). */
  async mayEditProfile(p: Principal, org: string): Promise<boolean> {
    return this.deps.permissions.namespace(p, org, 'edit-profile');
  }

  /** The invitations of `org` waiting for an answer (owners only). */
  async pending(p: Principal, org: string): Promise<InvitationView[]> {
    const ns = await this.get(org);
    await this.requireManager(p, ns.name, 'only owners see the pending invitations');
    return await this.deps.invitations.inOrg(ns.name);
  }

  /** Invites `userName`, not a member yet, as `role` (inviting again changes the role). */
  async invite(
    by: OrgCaller,
    org: string,
    userName: string,
    role: MemberRole,
  ): Promise<InvitationView> {
    const ns = await this.get(org);
    await this.requireManager(by.principal, ns.name);
    const user = await this.user(userName);
    return await this.deps.invitations.invite(by.principal, ns.name, user, role, by.address);
  }

  /** Changes a member's role; not_found when `userName` is no member (they join by invitation). */
  async changeRole(
    by: OrgCaller,
    org: string,
    userName: string,
    role: MemberRole,
  ): Promise<OrgMember[]> {
    const ns = await this.get(org);
    await this.requireManager(by.principal, ns.name);
    const user = await this.user(userName);
    const members = await this.applyRole(by, ns.name, user, role);
    if (!members) throw new StoreError('not_found', `${user.name} is not a member of ${ns.name}`);
    return members;
  }

  /**
   * The API's PUT of a member: a member's role changes at once; anyone else is invited as `role`,
   * and joins by accepting.
   */
  async setMember(
    by: OrgCaller,
    org: string,
    userName: string,
    role: MemberRole,
  ): Promise<
    { kind: 'members'; members: OrgMember[] } | { kind: 'invited'; invitation: InvitationView }
  > {
    const ns = await this.get(org);
    await this.requireManager(by.principal, ns.name);
    const user = await this.user(userName);
    const members = await this.applyRole(by, ns.name, user, role);
    if (members) return { kind: 'members', members };
    const invitation = await this.deps.invitations.invite(
      by.principal,
      ns.name,
      user,
      role,
      by.address,
    );
    return { kind: 'invited', invitation };
  }

  /** The members after `user`'s role became `role`; undefined when they are no member. */
  private async applyRole(
    by: OrgCaller,
    org: string,
    user: { id: number; name: string },
    role: MemberRole,
  ): Promise<OrgMember[] | undefined> {
    if (!(await this.deps.namespaces.changeRole(org, user.id, role))) return undefined;
    await this.record(by, 'member.set', `${org}/${user.name}`, { role });
    return this.deps.namespaces.members(org);
  }

  /**
   * Removes a member (owners; or oneself: leaving), else withdraws a pending invitation (owners).
   * An organisation keeps at least one owner (namespaces.ts).
   */
  async remove(by: OrgCaller, org: string, userName: string): Promise<'removed' | 'withdrawn'> {
    const ns = await this.get(org);
    const user = await this.user(userName);
    const manages = await this.mayManage(by.principal, ns.name);
    if (user.id !== by.principal.userId && !manages)
      throw new StoreError('forbidden', 'only owners manage members');
    if (await this.deps.namespaces.removeMember(ns.name, user.id)) {
      await this.record(by, 'member.removed', `${ns.name}/${user.name}`);
      return 'removed';
    }
    if (manages && (await this.deps.invitations.withdraw(by.principal, ns.name, user, by.address)))
      return 'withdrawn';
    throw new StoreError('not_found', `${user.name} is neither a member nor invited`);
  }

  /** Withdraws the invitation of `userName` (owners); not_found when there is none. */
  async withdraw(by: OrgCaller, org: string, userName: string): Promise<void> {
    const ns = await this.get(org);
    await this.requireManager(by.principal, ns.name);
    const user = await this.user(userName);
    if (!(await this.deps.invitations.withdraw(by.principal, ns.name, user, by.address)))
      throw new StoreError('not_found', `${user.name} has no invitation to ${ns.name}`);
  }

  private async requireOwner(p: Principal, org: string): Promise<void> {
    if (!(await this.mayEditProfile(p, org)))
      throw new StoreError('forbidden', "only owners change the organisation's profile");
  }

  private async requireManager(
    p: Principal,
    org: string,
    message = 'only owners manage members',
  ): Promise<void> {
    if (!(await this.mayManage(p, org))) throw new StoreError('forbidden', message);
  }

  private async user(name: string): Promise<{ id: number; name: string }> {
    const user = await this.deps.users.byName(name);
    if (!user) throw new StoreError('not_found', `no user "${name}"`);
    return user;
  }

  private async record(
    by: OrgCaller,
    action: string,
    target: string,
    detail?: Record<string, unknown>,
  ): Promise<void> {
    await this.deps.audit.record({
      actor: by.principal.name,
      action,
      target,
      address: by.address,
      ...(detail ? { detail } : {}),
    });
  }
}
