import { and, asc, eq } from 'drizzle-orm';
import type { SqliteDb } from '../db/store-database.js';
import { namespaceMembers, namespaces, orgInvitations, users } from '../db/schema.js';
import type { InvitationRepository } from './invitation-repository.js';
import { joinNamespace } from './namespaces-sqlite.js';

export function sqliteInvitations(db: SqliteDb): InvitationRepository {
  const of = (namespaceId: number, userId: number) =>
    and(eq(orgInvitations.namespaceId, namespaceId), eq(orgInvitations.userId, userId));
  return {
    invite: async (invitation) =>
      db.transaction((tx) => {
        const member = tx
          .select({ role: namespaceMembers.role })
          .from(namespaceMembers)
          .where(
            and(
              eq(namespaceMembers.namespaceId, invitation.namespaceId),
              eq(namespaceMembers.userId, invitation.userId),
            ),
          )
          .get();
        if (member) return 'member' as const;
        const { role, invitedBy, createdAt } = invitation;
        tx.insert(orgInvitations)
          .values(invitation)
          .onConflictDoUpdate({
            target: [orgInvitations.namespaceId, orgInvitations.userId],
            set: { role, invitedBy, createdAt },
          })
          .run();
        return 'invited' as const;
      }),
    list: async (filter) =>
      db
        .select({
          org: namespaces.name,
          orgDisplayName: namespaces.displayName,
          user: users.name,
          role: orgInvitations.role,
          invitedBy: orgInvitations.invitedBy,
          createdAt: orgInvitations.createdAt,
        })
        .from(orgInvitations)
        .innerJoin(namespaces, eq(namespaces.id, orgInvitations.namespaceId))
        .innerJoin(users, eq(users.id, orgInvitations.userId))
        .where(
          'userId' in filter
            ? eq(orgInvitations.userId, filter.userId)
            : eq(orgInvitations.namespaceId, filter.namespaceId),
        )
        .orderBy(asc(orgInvitations.createdAt), asc(namespaces.name))
        .all(),
    accept: async (namespaceId, userId, now) =>
      db.transaction((tx) => {
        const row = tx
          .delete(orgInvitations)
          .where(of(namespaceId, userId))
          .returning({ role: orgInvitations.role })
          .get();
        return row && joinNamespace(tx, namespaceId, userId, row.role, now);
      }),
    remove: async (namespaceId, userId) =>
      db.delete(orgInvitations).where(of(namespaceId, userId)).run().changes > 0,
  };
}
