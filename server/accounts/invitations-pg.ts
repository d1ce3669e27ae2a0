import { and, asc, eq, sql } from 'drizzle-orm';
import type { PgDb } from '../db/store-database.js';
import { namespaceMembers, namespaces, orgInvitations, users } from '../db/schema.pg.js';
import type { InvitationRepository } from './invitation-repository.js';
import { lockKey } from './pg-units.js';

export function pgInvitations(db: PgDb): InvitationRepository {
  const of = (namespaceId: number, userId: number) =>
    and(eq(orgInvitations.namespaceId, namespaceId), eq(orgInvitations.userId, userId));
  const member = (namespaceId: number, userId: number) =>
    and(eq(namespaceMembers.namespaceId, namespaceId), eq(namespaceMembers.userId, userId));
  return {
    invite: (invitation) =>
      db.transaction(async (tx) => {
        // An accept of the same pair takes the same lock: an invitation is never written for
        // someone who joined meanwhile.
        await lockKey(tx, `membership:${invitation.namespaceId}:${invitation.userId}`);
        const found = await tx
          .select({ role: namespaceMembers.role })
          .from(namespaceMembers)
          .where(member(invitation.namespaceId, invitation.userId));
        if (found.length > 0) return 'member' as const;
        const { role, invitedBy, createdAt } = invitation;
        await tx
          .insert(orgInvitations)
          .values(invitation)
          .onConflictDoUpdate({
            target: [orgInvitations.namespaceId, orgInvitations.userId],
            set: { role, invitedBy, createdAt },
          });
        return 'invited' as const;
      }),
    list: (filter) =>
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
        .orderBy(asc(orgInvitations.createdAt), asc(sql`${namespaces.name} COLLATE "C"`)),
    accept: (namespaceId, userId, now) =>
      db.transaction(async (tx) => {
        await lockKey(tx, `membership:${namespaceId}:${userId}`);
        const [row] = await tx
          .delete(orgInvitations)
          .where(of(namespaceId, userId))
          .returning({ role: orgInvitations.role });
        if (!row) return undefined;
        await tx
          .insert(namespaceMembers)
          .values({ namespaceId, userId, role: row.role, createdAt: now })
          .onConflictDoNothing();
        const [joined] = await tx
          .select({ role: namespaceMembers.role })
          .from(namespaceMembers)
          .where(member(namespaceId, userId));
        return joined!.role;
      }),
    remove: async (namespaceId, userId) =>
      (
        await db
          .delete(orgInvitations)
          .where(of(namespaceId, userId))
          .returning({ role: orgInvitations.role })
      ).length > 0,
  };
}
