/** Every organisation with how many members and apps it has: the admin users page's list. */
import { asc, count, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/open-database.js';
import { namespaceMembers, namespaces } from '../db/schema.js';
import { apps } from '../db/store-schema.js';

export interface OrgSummary {
  name: string;
  displayName: string;
  members: number;
  apps: number;
}

export function listOrgs(db: Db, limit: number): OrgSummary[] {
  // Counted in subqueries: joining both would multiply members by apps.
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
  return db
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
    .all()
    .map((o) => ({ ...o, members: Number(o.members), apps: Number(o.apps) }));
}
