import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/open-database.js';
import { namespaceMembers, namespaces, users } from '../db/schema.js';
import { StoreError } from '../errors.js';
import { namespaceNameProblem } from './names.js';

export type MemberRole = 'owner' | 'maintainer' | 'member';
export const MEMBER_ROLES: readonly MemberRole[] = ['owner', 'maintainer', 'member'];

export interface NamespaceRow {
  id: number;
  name: string;
  kind: 'user' | 'org';
  displayName: string;
  about: string;
  website: string;
  logoType: string | null;
  createdAt: number;
}

export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/**
 * Namespaces and who belongs to them. A user's own namespace has one owner, the user; an
 * organisation's owners manage its members. Lookups the permission module makes on every
 * registry request are single prepared index reads.
 */
export class Namespaces {
  private readonly roleQuery;

  constructor(
    private readonly db: Db,
    private readonly clock: () => number = Date.now,
  ) {
    this.roleQuery = db
      .select({ role: namespaceMembers.role })
      .from(namespaceMembers)
      .innerJoin(namespaces, eq(namespaces.id, namespaceMembers.namespaceId))
      .where(
        and(
          eq(namespaces.name, sql.placeholder('namespace')),
          eq(namespaceMembers.userId, sql.placeholder('userId')),
        ),
      )
      .prepare();
  }

  /** The role of user `userId` in `namespace`, or undefined when not a member. */
  roleOf(userId: number, namespace: string): MemberRole | undefined {
    return this.roleQuery.get({ namespace, userId })?.role;
  }

  /** Inside a caller's transaction: the namespace of a new user, owned by them. */
  createForUser(tx: Tx, name: string, userId: number): void {
    const row = tx
      .insert(namespaces)
      .values({ name, kind: 'user', createdAt: this.clock() })
      .returning({ id: namespaces.id })
      .get();
    tx.insert(namespaceMembers)
      .values({ namespaceId: row.id, userId, role: 'owner', createdAt: this.clock() })
      .run();
  }

  exists(name: string): boolean {
    return !!this.db
      .select({ id: namespaces.id })
      .from(namespaces)
      .where(eq(namespaces.name, name))
      .get();
  }

  /** A namespace and its profile (an organisation's; a user's profile is in `users`), not its logo's bytes. */
  get(name: string): NamespaceRow | undefined {
    return this.db
      .select({
        id: namespaces.id,
        name: namespaces.name,
        kind: namespaces.kind,
        displayName: namespaces.displayName,
        about: namespaces.about,
        website: namespaces.website,
        logoType: namespaces.logoType,
        createdAt: namespaces.createdAt,
      })
      .from(namespaces)
      .where(eq(namespaces.name, name))
      .get();
  }

  /** Changes an organisation's display name, about text or website (validated by the caller). */
  updateProfile(
    name: string,
    change: Partial<Pick<NamespaceRow, 'displayName' | 'about' | 'website'>>,
  ): void {
    if (Object.keys(change).length === 0) return;
    this.db.update(namespaces).set(change).where(eq(namespaces.name, name)).run();
  }

  /** Sets (or with null, removes) a namespace's logo. */
  setLogo(name: string, image: Buffer | null, type: string | null): void {
    this.db
      .update(namespaces)
      .set({ logo: image, logoType: type })
      .where(eq(namespaces.name, name))
      .run();
  }

  /** A namespace's logo bytes and type, when it has one. */
  logo(name: string): { bytes: Buffer; type: string } | undefined {
    const row = this.db
      .select({ bytes: namespaces.logo, type: namespaces.logoType })
      .from(namespaces)
      .where(eq(namespaces.name, name))
      .get();
    return row?.bytes && row.type ? { bytes: row.bytes, type: row.type } : undefined;
  }

  createOrg(name: string, displayName: string, ownerId: number): void {
    const problem = namespaceNameProblem(name);
    if (problem) throw new StoreError('invalid', `organisation name ${problem}`, { field: 'name' });
    this.db.transaction((tx) => {
      if (
        tx.select({ id: namespaces.id }).from(namespaces).where(eq(namespaces.name, name)).get()
      ) {
        throw new StoreError('conflict', `the name "${name}" is taken`, { field: 'name' });
      }
      const row = tx
        .insert(namespaces)
        .values({ name, kind: 'org', displayName, createdAt: this.clock() })
        .returning({ id: namespaces.id })
        .get();
      tx.insert(namespaceMembers)
        .values({ namespaceId: row.id, userId: ownerId, role: 'owner', createdAt: this.clock() })
        .run();
    });
  }

  members(
    namespace: string,
  ): { name: string; displayName: string; role: MemberRole; public: boolean; since: string }[] {
    return this.db
      .select({
        name: users.name,
        displayName: users.displayName,
        role: namespaceMembers.role,
        public: namespaceMembers.public,
        createdAt: namespaceMembers.createdAt,
      })
      .from(namespaceMembers)
      .innerJoin(namespaces, eq(namespaces.id, namespaceMembers.namespaceId))
      .innerJoin(users, eq(users.id, namespaceMembers.userId))
      .where(eq(namespaces.name, namespace))
      .orderBy(users.name)
      .all()
      .map(({ createdAt, ...m }) => ({ ...m, since: new Date(createdAt).toISOString() }));
  }

  /**
   * Whether member `userId` of `namespace` shows on its publisher page (their own choice, so
   * nobody's membership is made public behind their back); false when they are no member.
   */
  setPublic(namespace: string, userId: number, visible: boolean): boolean {
    const ns = this.get(namespace);
    if (!ns) return false;
    const done = this.db
      .update(namespaceMembers)
      .set({ public: visible })
      .where(and(eq(namespaceMembers.namespaceId, ns.id), eq(namespaceMembers.userId, userId)))
      .run();
    return done.changes > 0;
  }

  /** The organisations whose membership `userId` chose to show (their publisher page lists them). */
  shownOrgsOf(userId: number): { name: string; displayName: string }[] {
    return this.db
      .select({ name: namespaces.name, displayName: namespaces.displayName })
      .from(namespaceMembers)
      .innerJoin(namespaces, eq(namespaces.id, namespaceMembers.namespaceId))
      .where(
        and(
          eq(namespaceMembers.userId, userId),
          eq(namespaceMembers.public, true),
          eq(namespaces.kind, 'org'),
        ),
      )
      .orderBy(namespaces.name)
      .all();
  }

  /** Namespaces `userId` belongs to, with the role in each. */
  membershipsOf(userId: number): { namespace: string; kind: 'user' | 'org'; role: MemberRole }[] {
    return this.db
      .select({ namespace: namespaces.name, kind: namespaces.kind, role: namespaceMembers.role })
      .from(namespaceMembers)
      .innerJoin(namespaces, eq(namespaces.id, namespaceMembers.namespaceId))
      .where(eq(namespaceMembers.userId, userId))
      .orderBy(namespaces.name)
      .all();
  }

  /**
   * Changes the role of a member of an organisation; false when the user is no member (they
   * join by invitation only, see invitations.ts). An organisation always keeps an owner.
   */
  changeRole(namespace: string, userId: number, role: MemberRole): boolean {
    return this.db.transaction((tx) => {
      const ns = this.orgIn(tx, namespace);
      const current = tx
        .select({ role: namespaceMembers.role })
        .from(namespaceMembers)
        .where(and(eq(namespaceMembers.namespaceId, ns.id), eq(namespaceMembers.userId, userId)))
        .get();
      if (!current) return false;
      if (current.role === 'owner' && role !== 'owner') this.keepAnOwner(tx, ns.id);
      tx.update(namespaceMembers)
        .set({ role })
        .where(and(eq(namespaceMembers.namespaceId, ns.id), eq(namespaceMembers.userId, userId)))
        .run();
      return true;
    });
  }

  /** Inside a caller's transaction: `userId` joins namespace `namespaceId` (a member keeps their role). */
  joinIn(tx: Tx, namespaceId: number, userId: number, role: MemberRole): MemberRole {
    tx.insert(namespaceMembers)
      .values({ namespaceId, userId, role, createdAt: this.clock() })
      .onConflictDoNothing()
      .run();
    return tx
      .select({ role: namespaceMembers.role })
      .from(namespaceMembers)
      .where(
        and(eq(namespaceMembers.namespaceId, namespaceId), eq(namespaceMembers.userId, userId)),
      )
      .get()!.role;
  }

  removeMember(namespace: string, userId: number): boolean {
    return this.db.transaction((tx) => {
      const ns = this.orgIn(tx, namespace);
      const current = tx
        .select({ role: namespaceMembers.role })
        .from(namespaceMembers)
        .where(and(eq(namespaceMembers.namespaceId, ns.id), eq(namespaceMembers.userId, userId)))
        .get();
      if (!current) return false;
      if (current.role === 'owner') this.keepAnOwner(tx, ns.id);
      tx.delete(namespaceMembers)
        .where(and(eq(namespaceMembers.namespaceId, ns.id), eq(namespaceMembers.userId, userId)))
        .run();
      return true;
    });
  }

  private orgIn(tx: Tx, namespace: string): { id: number } {
    const ns = tx
      .select({ id: namespaces.id, kind: namespaces.kind })
      .from(namespaces)
      .where(eq(namespaces.name, namespace))
      .get();
    if (!ns) throw new StoreError('not_found', `no namespace "${namespace}"`);
    if (ns.kind !== 'org')
      throw new StoreError(
        'invalid',
        `"${namespace}" is a user's namespace; only organisations have members`,
      );
    return ns;
  }

  private keepAnOwner(tx: Tx, namespaceId: number): void {
    const owners = tx
      .select({ n: sql<number>`count(*)` })
      .from(namespaceMembers)
      .where(and(eq(namespaceMembers.namespaceId, namespaceId), eq(namespaceMembers.role, 'owner')))
      .get();
    if ((owners?.n ?? 0) <= 1)
      throw new StoreError('conflict', 'an organisation must keep at least one owner');
  }
}
