import { and, count, eq, sql } from 'drizzle-orm';
import type { PgDb } from '../db/store-database.js';
import { namespaceMembers, namespaces, users } from '../db/schema.pg.js';
import { apps } from '../db/store-schema.pg.js';
import type { NamespaceRepository, OrgSummary } from './namespace-repository.js';
import { keepAnOwner, orgIn } from './namespaces-sqlite.js';
import { isUniqueViolation, type PgTx } from './pg-units.js';

/** Inside a caller's transaction: the namespace of a new user, owned by them. */
export async function insertUserNamespace(
  tx: PgTx,
  name: string,
  userId: number,
  now: number,
): Promise<void> {
  const [row] = await tx
    .insert(namespaces)
    .values({ name, kind: 'user', createdAt: now })
    .returning({ id: namespaces.id });
  await tx
    .insert(namespaceMembers)
    .values({ namespaceId: row!.id, userId, role: 'owner', createdAt: now });
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

export function pgNamespaces(db: PgDb): NamespaceRepository {
  const member = (namespaceId: number, userId: number) =>
    and(eq(namespaceMembers.namespaceId, namespaceId), eq(namespaceMembers.userId, userId));

  /** Locks the organisation's row, so its member changes (and the owner count) go one at a time. */
  const current = async (tx: PgTx, namespace: string, userId: number) => {
    const [found] = await tx
      .select()
      .from(namespaces)
      .where(eq(namespaces.name, namespace))
      .for('update');
    const ns = orgIn(found, namespace);
    const [row] = await tx
      .select({ role: namespaceMembers.role })
      .from(namespaceMembers)
      .where(member(ns.id, userId));
    const owners = async () => {
      const [n] = await tx
        .select({ n: sql<number>`count(*)::int` })
        .from(namespaceMembers)
        .where(and(eq(namespaceMembers.namespaceId, ns.id), eq(namespaceMembers.role, 'owner')));
      return n?.n ?? 0;
    };
    return { ns, role: row?.role, owners };
  };

  return {
    roleOf: async (userId, namespace) => {
      const [row] = await db
        .select({ role: namespaceMembers.role })
        .from(namespaceMembers)
        .innerJoin(namespaces, eq(namespaces.id, namespaceMembers.namespaceId))
        .where(and(eq(namespaces.name, namespace), eq(namespaceMembers.userId, userId)));
      return row?.role;
    },
    get: async (name) => {
      const [row] = await db
        .select(profileColumns)
        .from(namespaces)
        .where(eq(namespaces.name, name));
      return row;
    },
    updateProfile: async (name, change) => {
      await db.update(namespaces).set(change).where(eq(namespaces.name, name));
    },
    setLogo: async (name, image, type) => {
      await db
        .update(namespaces)
        .set({ logo: image, logoType: type })
        .where(eq(namespaces.name, name));
    },
    logo: async (name) => {
      const [row] = await db
        .select({ bytes: namespaces.logo, type: namespaces.logoType })
        .from(namespaces)
        .where(eq(namespaces.name, name));
      return row?.bytes && row.type ? { bytes: row.bytes, type: row.type } : undefined;
    },
    setPublic: async (namespace, userId, visible) => {
      const [ns] = await db
        .select({ id: namespaces.id })
        .from(namespaces)
        .where(eq(namespaces.name, namespace));
      if (!ns) return false;
      const done = await db
        .update(namespaceMembers)
        .set({ public: visible })
        .where(member(ns.id, userId));
      return (done.rowCount ?? 0) > 0;
    },
    orgSummaries: (limit) => orgSummaries(db, limit),
    shownOrgsOf: (userId) =>
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
        .orderBy(sql`${namespaces.name} COLLATE "C"`),
    createOrg: async (name, displayName, ownerId, now) => {
      try {
        await db.transaction(async (tx) => {
          const [row] = await tx
            .insert(namespaces)
            .values({ name, kind: 'org', displayName, createdAt: now })
            .returning({ id: namespaces.id });
          await tx
            .insert(namespaceMembers)
            .values({ namespaceId: row!.id, userId: ownerId, role: 'owner', createdAt: now });
        });
        return true;
      } catch (err) {
        // The unique name decides between two requests for one name.
        if (isUniqueViolation(err)) return false;
        throw err;
      }
    },
    members: (namespace) =>
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
        .orderBy(sql`${users.name} COLLATE "C"`),
    membershipsOf: (userId) =>
      db
        .select({ namespace: namespaces.name, kind: namespaces.kind, role: namespaceMembers.role })
        .from(namespaceMembers)
        .innerJoin(namespaces, eq(namespaces.id, namespaceMembers.namespaceId))
        .where(eq(namespaceMembers.userId, userId))
        .orderBy(sql`${namespaces.name} COLLATE "C"`),
    changeRole: (namespace, userId, role) =>
      db.transaction(async (tx) => {
        const c = await current(tx, namespace, userId);
        if (!c.role) return false;
        if (c.role === 'owner' && role !== 'owner') keepAnOwner(await c.owners());
        await tx.update(namespaceMembers).set({ role }).where(member(c.ns.id, userId));
        return true;
      }),
    removeMember: (namespace, userId) =>
      db.transaction(async (tx) => {
        const c = await current(tx, namespace, userId);
        if (!c.role) return false;
        if (c.role === 'owner') keepAnOwner(await c.owners());
        await tx.delete(namespaceMembers).where(member(c.ns.id, userId));
        return true;
      }),
  };
}

/** Every organisation with its member and app counts, counted in subqueries (a join of both would multiply members by apps). */
async function orgSummaries(db: PgDb, limit: number): Promise<OrgSummary[]> {
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
    .orderBy(sql`${namespaces.name} COLLATE "C"`)
    .limit(limit);
  // PostgreSQL's count is int8, read as a string.
  return rows.map((o) => ({ ...o, members: Number(o.members), apps: Number(o.apps) }));
}
