/**
 * Invitations to organisations. Nobody is made a member of an organisation behind their back
 * (a member's pushes and apps are seen by the others, and the organisation speaks in their name):
 * an owner invites, the user accepts or declines, the owner may withdraw what is pending. The
 * bootstrap admin (who may act in every namespace already, and whose key is often shared by the
 * operators) and the app robots (credentials handed to a Rainbond console, limited to one app)
 * are never invited. The API and the web both come here, so the rules and the audit rows live
 * in one place.
 */
import { ADMIN_NAME } from '../auth/bootstrap.js';
import { isRobotName } from '../auth/permissions.js';
import { StoreError } from '../errors.js';
import type { AuditLog } from './audit-log.js';
import type { MemberRole, Namespaces } from './namespaces.js';
import type { InvitationRepository } from './invitation-repository.js';

export interface InvitationView {
  org: string;
  orgDisplayName: string;
  user: string;
  role: MemberRole;
  invitedBy: string;
  invitedAt: string;
}

/** Who acts, as a route knows them. */
export interface Person {
  userId: number;
  name: string;
}

export class Invitations {
  constructor(
    private readonly deps: {
      repository: InvitationRepository;
      namespaces: Namespaces;
      audit: AuditLog;
      clock: () => number;
    },
  ) {}

  /** Invites `user`, not a member yet, to `org` as `role`; inviting again changes the role. */
  async invite(
    by: Person,
    org: string,
    user: { id: number; name: string },
    role: MemberRole,
    address: string,
  ): Promise<InvitationView> {
    if (user.name === ADMIN_NAME)
      throw new StoreError(
        'invalid',
        'the admin account cannot be invited to an organisation (it may act in every namespace)',
        { field: 'user', reason: 'admin_account' },
      );
    if (isRobotName(user.name))
      throw new StoreError(
        'invalid',
        "an app's robot cannot be invited to an organisation (it works on its app only)",
        { field: 'user', reason: 'robot_account' },
      );
    const ns = await this.org(org);
    const now = this.deps.clock();
    const outcome = await this.deps.repository.invite({
      namespaceId: ns.id,
      userId: user.id,
      role,
      invitedBy: by.name,
      createdAt: now,
    });
    if (outcome === 'member')
      throw new StoreError('conflict', `${user.name} is already a member of ${org}`);
    await this.record(by, 'member.invited', org, user.name, address, { role });
    return {
      org,
      orgDisplayName: ns.displayName,
      user: user.name,
      role,
      invitedBy: by.name,
      invitedAt: new Date(now).toISOString(),
    };
  }

  /** The invitations waiting for user `userId`, oldest first. */
  async forUser(userId: number): Promise<InvitationView[]> {
    return this.list({ userId });
  }

  /** The invitations of `org` that are waiting for an answer, oldest first. */
  async inOrg(org: string): Promise<InvitationView[]> {
    return this.list({ namespaceId: (await this.org(org)).id });
  }

  /** `me` joins `org` with the role they were invited as; the invitation is used up. */
  async accept(
    me: Person,
    org: string,
    address: string,
  ): Promise<{ namespace: string; kind: 'org'; role: MemberRole }> {
    const ns = await this.org(org);
    const role = await this.deps.repository.accept(ns.id, me.userId, this.deps.clock());
    if (!role) throw noInvitation(org);
    await this.record(me, 'invitation.accepted', org, me.name, address, { role });
    return { namespace: org, kind: 'org', role };
  }

  /** `me` says no to `org`'s invitation. */
  async decline(me: Person, org: string, address: string): Promise<void> {
    const ns = await this.org(org);
    if (!(await this.deps.repository.remove(ns.id, me.userId))) throw noInvitation(org);
    await this.record(me, 'invitation.declined', org, me.name, address);
  }

  /** An owner takes back the invitation of `user`; false when there is none. */
  async withdraw(
    by: Person,
    org: string,
    user: { id: number; name: string },
    address: string,
  ): Promise<boolean> {
    const ns = await this.org(org);
    if (!(await this.deps.repository.remove(ns.id, user.id))) return false;
    await this.record(by, 'invitation.withdrawn', org, user.name, address);
    return true;
  }

  private async org(name: string): Promise<{ id: number; displayName: string }> {
    const ns = await this.deps.namespaces.get(name);
    if (!ns || ns.kind !== 'org') throw new StoreError('not_found', `no organisation "${name}"`);
    return ns;
  }

  private async list(of: { userId: number } | { namespaceId: number }): Promise<InvitationView[]> {
    return (await this.deps.repository.list(of)).map(({ createdAt, ...i }) => ({
      ...i,
      invitedAt: new Date(createdAt).toISOString(),
    }));
  }

  private record(
    by: Person,
    action: string,
    org: string,
    user: string,
    address: string,
    detail?: Record<string, unknown>,
  ): void | Promise<void> {
    return this.deps.audit.record({
      actor: by.name,
      action,
      target: `${org}/${user}`,
      address,
      ...(detail ? { detail } : {}),
    });
  }
}

function noInvitation(org: string): StoreError {
  return new StoreError('not_found', `no invitation to ${org}`);
}
