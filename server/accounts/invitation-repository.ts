import type { StoreDatabase } from '../db/store-database.js';
import type { MemberRole } from './namespaces.js';
import { pgInvitations } from './invitations-pg.js';
import { sqliteInvitations } from './invitations-sqlite.js';

export interface InvitationRow {
  org: string;
  orgDisplayName: string;
  user: string;
  role: MemberRole;
  invitedBy: string;
  createdAt: number;
}

export interface NewInvitation {
  namespaceId: number;
  userId: number;
  role: MemberRole;
  invitedBy: string;
  createdAt: number;
}

/**
 * Invitations to organisations. `invite` checks membership and writes in one unit of work, and
 * `accept` uses the invitation up and joins in another: on PostgreSQL the membership's primary
 * key decides between an accept and a concurrent one (the second finds no invitation).
 */
export interface InvitationRepository {
  /** `member` (nothing written) when the user already belongs to the organisation. */
  invite(invitation: NewInvitation): Promise<'invited' | 'member'>;
  /** Waiting invitations of a user or of an organisation, oldest first. */
  list(of: { userId: number } | { namespaceId: number }): Promise<InvitationRow[]>;
  /** Uses the invitation up and joins with its role (a member keeps theirs): the role, or undefined without one. */
  accept(namespaceId: number, userId: number, now: number): Promise<MemberRole | undefined>;
  /** Deletes the invitation; false when there was none. */
  remove(namespaceId: number, userId: number): Promise<boolean>;
}

export function invitationRepository(store: StoreDatabase): InvitationRepository {
  switch (store.dialect) {
    case 'sqlite':
      return sqliteInvitations(store.db);
    case 'postgres':
      return pgInvitations(store.db);
  }
}
