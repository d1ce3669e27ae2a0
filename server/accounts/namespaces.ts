import type { NamespaceRepository, NamespaceRow, OrgSummary } from './namespace-repository.js';
import { StoreError } from '../errors.js';
import { namespaceNameProblem } from './names.js';

export type MemberRole = 'owner' | 'maintainer' | 'member';
export const MEMBER_ROLES: readonly MemberRole[] = ['owner', 'maintainer', 'member'];

/**
 * Namespaces and who belongs to them. A user's own namespace has one owner, the user; an
 * organisation's owners manage its members. A user's namespace is made with the user
 * (users.ts); members join an organisation by invitation (invitations.ts).
 */
export class Namespaces {
  constructor(
    private readonly repository: NamespaceRepository,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The role of user `userId` in `namespace`, or undefined when not a member. */
  roleOf(userId: number, namespace: string): Promise<MemberRole | undefined> {
    return this.repository.roleOf(userId, namespace);
  }

  async exists(name: string): Promise<boolean> {
    return !!(await this.repository.get(name));
  }

  get(name: string): Promise<NamespaceRow | undefined> {
    return this.repository.get(name);
  }

  async createOrg(name: string, displayName: string, ownerId: number): Promise<void> {
    const problem = namespaceNameProblem(name);
    if (problem) throw new StoreError('invalid', `organisation name ${problem}`, { field: 'name' });
    if (!(await this.repository.createOrg(name, displayName, ownerId, this.clock())))
      throw new StoreError('conflict', `the name "${name}" is taken`, { field: 'name' });
  }

  /** Changes an organisation's display name, about text or website (validated by the caller). */
  async updateProfile(
    name: string,
    change: Partial<Pick<NamespaceRow, 'displayName' | 'about' | 'website'>>,
  ): Promise<void> {
    if (Object.keys(change).length > 0) await this.repository.updateProfile(name, change);
  }

  /** Sets (or with null, removes) a namespace's logo. */
  setLogo(name: string, image: Buffer | null, type: string | null): Promise<void> {
    return this.repository.setLogo(name, image, type);
  }

  /** A namespace's logo bytes and type, when it has one. */
  logo(name: string): Promise<{ bytes: Buffer; type: string } | undefined> {
    return this.repository.logo(name);
  }

  async members(
    namespace: string,
  ): Promise<
    { name: string; displayName: string; role: MemberRole; public: boolean; since: string }[]
  > {
    return (await this.repository.members(namespace)).map(({ createdAt, ...m }) => ({
      ...m,
      since: new Date(createdAt).toISOString(),
    }));
  }

  /**
   * Whether member `userId` of `namespace` shows on its publisher page (their own choice, so
   * nobody's membership is made public behind their back); false when they are no member.
   */
  setPublic(namespace: string, userId: number, visible: boolean): Promise<boolean> {
    return this.repository.setPublic(namespace, userId, visible);
  }

  /** The organisations whose membership `userId` chose to show (their publisher page lists them). */
  shownOrgsOf(userId: number): Promise<{ name: string; displayName: string }[]> {
    return this.repository.shownOrgsOf(userId);
  }

  /** The first `limit` organisations by name, with their member and app counts (admin pages). */
  orgSummaries(limit: number): Promise<OrgSummary[]> {
    return this.repository.orgSummaries(limit);
  }

  /** Namespaces `userId` belongs to, with the role in each. */
  membershipsOf(
    userId: number,
  ): Promise<{ namespace: string; kind: 'user' | 'org'; role: MemberRole }[]> {
    return this.repository.membershipsOf(userId);
  }

  /**
   * Changes the role of a member of an organisation; false when the user is no member (they
   * join by invitation only, see invitations.ts). An organisation always keeps an owner.
   */
  changeRole(namespace: string, userId: number, role: MemberRole): Promise<boolean> {
    return this.repository.changeRole(namespace, userId, role);
  }

  removeMember(namespace: string, userId: number): Promise<boolean> {
    return this.repository.removeMember(namespace, userId);
  }
}
