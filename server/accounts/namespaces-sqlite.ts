import { and, asc, count, eq, sql } from 'drizzle-orm';
import type { SqliteDb } from '../db/store-database.js';
import { namespaceMembers, namespaces, users } from '../db/schema.js';
import { apps } from '../db/store-schema.js';
import { StoreError } from '../errors.js';
import type { MemberRole } from './namespaces.js';
import type { NamespaceRepository, OrgSummary } from './namespace-repository.js';

export type SqliteTx = Parameters<Parameters<SqliteDb['transaction']>[0]>[0];

/** Inside a caller's transaction: the namespace of a new user, owned by them. */
export function insertUserNamespace(tx: SqliteTx, name: string, userId: number, now: number): void {
  const row = tx
    .insert(namespaces)
    .values({ name, kind: 'user', createdAt: now })
    .returning({ id: namespaces.id })
    .get();
  tx.insert(namespaceMembers)
    .values({ namespaceId: row.id, userId, role: 'owner', createdAt: now })
    .run();
}

/** Inside a caller's transaction: `userId` joins `namespaceId` (a member keeps their role). */
export function joinNamespace(
  tx: SqliteTx,
  namespaceId: number,
  userId: number,
  role: MemberRole,
  now: number,
): MemberRole {
  tx.insert(namespaceMembers)
    .values({ namespaceId, userId, role, createdAt: now })
    .onConflictDoNothing()
    .run();
  return tx
    .select({ role: namespaceMembers.role })
    .from(namespaceMembers)
    .where(and(eq(namespaceMembers.namespaceId, namespaceId), eq(namespaceMembers.userId, userId)))
    .get()!.role;
}

/** A namespace's row less its logo's bytes (read only where the logo is served). */
const profileColumns = {
  id: namespaces.id,
  name: namespaces.name,
  kind: namespaces.kind,
  displayName: namespaces.displayName,
  about: namespaces.about,
  website: namespaces.website,
  logoType: namespaces.logoType,
  createdAt: namespaces.createdAt,
};

export function sqliteNamespaces(db: SqliteDb): NamespaceRepository {
  // Prepared once: the permission module asks on every registry request.
  const roleQuery = db
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

  const member = (namespaceId: number, userId: number) =>
    and(eq(namespaceMembers.namespaceId, namespaceId), eq(namespaceMembers.userId, userId));

  /** The role of `userId` in organisation `namespace`, after the checks both changes make. */
  const current = (tx: SqliteTx, namespace: string, userId: number) => {
    const ns = orgIn(
      tx.select().from(namespaces).where(eq(namespaces.name, namespace)).get(),
      namespace,
    );
    const row = tx
      .select({ role: namespaceMembers.role })
      .from(namespaceMembers)
      .where(member(ns.id, userId))
      .get();
    const owners = () =>
      tx
        .select({ n: sql<number>`count(*)` })
        .from(namespaceMembers)
        .where(and(eq(namespaceMembers.namespaceId, ns.id), eq(namespaceMembers.role, 'owner')))
        .get()?.n ?? 0;
    return { ns, role: row?.role, owners };
  };

  return {
    roleOf: async (userId, namespace) => roleQuery.get({ namespace, userId })?.role,
    get: async (name) =>
      db.select(profileColumns).from(namespaces).where(eq(namespaces.name, name)).get(),
    updateProfile: async (name, change) => {
      db.update(namespaces).set(change).where(eq(namespaces.name, name)).run();
    },
    setLogo: async (name, image, type) => {
      db.update(namespaces)
        .set({ logo: image, logoType: type })
        .where(eq(namespaces.name, name))
        .run();
    },
    logo: async (name) => {
      const row = db
        .select({ bytes: namespaces.logo, type: namespaces.logoType })
        .from(namespaces)
        .where(eq(namespaces.name, name))
        .get();
      return row?.bytes && row.type ? { bytes: row.bytes, type: row.type } : undefined;
    },
    setPublic: async (namespace, userId, visible) => {
      const ns = db
        .select({ id: namespaces.id })
        .from(namespaces)
        .where(eq(namespaces.name, namespace))
        .get();
      if (!ns) return false;
      return (
        db.update(namespaceMembers).set({ public: visible }).where(member(ns.id, userId)).run()
          .changes > 0
      );
    },
    orgSummaries: (limit) => orgSummaries(db, limit),
    shownOrgsOf: async (userId) =>
      db
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
        .all(),
    createOrg: async (name, displayName, ownerId, now) =>
      db.transaction((tx) => {
        if (
          tx.select({ id: namespaces.id }).from(namespaces).where(eq(namespaces.name, name)).get()
        )
          return false;
        const row = tx
          .insert(namespaces)
          .values({ name, kind: 'org', displayName, createdAt: now })
          .returning({ id: namespaces.id })
          .get();
        tx.insert(namespaceMembers)
          .values({ namespaceId: row.id, userId: ownerId, role: 'owner', createdAt: now })
          .run();
        return true;
      }),
    members: async (namespace) =>
      db
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
        .all(),
    membershipsOf: async (userId) =>
      db
        .select({ namespace: namespaces.name, kind: namespaces.kind, role: namespaceMembers.role })
        .from(namespaceMembers)
        .innerJoin(namespaces, eq(namespaces.id, namespaceMembers.namespaceId))
        .where(eq(namespaceMembers.userId, userId))
        .orderBy(namespaces.name)
        .all(),
    changeRole: async (namespace, userId, role) =>
      db.transaction((tx) => {
        const c = current(tx, namespace, userId);
        if (!c.role) return false;
        if (c.role === 'owner' && role !== 'owner') keepAnOwner(c.owners());
        tx.update(namespaceMembers).set({ role }).where(member(c.ns.id, userId)).run();
        return true;
      }),
    removeMember: async (namespace, userId) =>
      db.transaction((tx) => {
        const c = current(tx, namespace, userId);
        if (!c.role) return false;
        if (c.role === 'owner') keepAnOwner(c.owners());
        tx.delete(namespaceMembers).where(member(c.ns.id, userId)).run();
        return true;
      }),
  };
}

/** The organisation `name` (its row as read), or the error a member change on it meets. */
export function orgIn<T extends { kind: 'user' | 'org' }>(ns: T | undefined, name: string): T {
  if (!ns) throw new StoreError('not_found', `no namespace "${name}"`);
  if (ns.kind !== 'org')
    throw new StoreError(
      'invalid',
      `"${name}" is a user's namespace; only organisations have members`,
    );
  return ns;
}

export function keepAnOwner(owners: number): void {
  if (owners <= 1) throw new StoreError('conflict', 'an organisation must keep at least one owner');
}

/** Every organisation with its member and app counts, counted in subqueries (a join of both would multiply members by apps). */
async function orgSummaries(db: SqliteDb, limit: number): Promise<OrgSummary[]> {
  const members = db
    .select({ id: namespaceMembers.namespaceId, n: count().as('members_n') })
    .from(namespaceMembers)
    .groupBy(namespaceMembers.namespaceId)
    .as('m');
  const shelf = db
    .select({ ns: apps.namespace, n: count().as('apps_n') })
    .from(apps)
    .groupBy(apps.namespace)
    .as('a');
  const rows = await db
    .select({
      name: namespaces.name,
      displayName: namespaces.displayName,
      members: sql<number>`coalesce(${members.n}, 0)`,
      apps: sql<number>`coalesce(${shelf.n}, 0)`,
    })
    .from(namespaces)
    .leftJoin(members, eq(members.id, namespaces.id))
    .leftJoin(shelf, eq(shelf.ns, namespaces.name))
    .where(eq(namespaces.kind, 'org'))
    .orderBy(asc(namespaces.name))
    .limit(limit)
    .all();
  // PostgreSQL's count is int8, read as a string.
  return rows.map((o) => ({ ...o, members: Number(o.members), apps: Number(o.apps) }));
}
