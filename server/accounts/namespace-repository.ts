import type { StoreDatabase } from '../db/store-database.js';
import type { MemberRole } from './namespaces.js';
import { pgNamespaces } from './namespaces-pg.js';
import { sqliteNamespaces } from './namespaces-sqlite.js';

/** A namespace and its profile (an organisation's; a user's is in `users`), not its logo's bytes. */
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

export type ProfileChange = Partial<Pick<NamespaceRow, 'displayName' | 'about' | 'website'>>;

export interface MemberRow {
  name: string;
  displayName: string;
  role: MemberRole;
  /** Shown on the organisation's publisher page (the member's own choice). */
  public: boolean;
  createdAt: number;
}

/** An organisation with how many members and apps it has: the admin users page's list. */
export interface OrgSummary {
  name: string;
  displayName: string;
  members: number;
  apps: number;
}

/**
 * Namespaces and their members. `changeRole` and `removeMember` are units of work that keep an
 * owner: on PostgreSQL they lock the organisation's row, so two owners demoting each other at
 * once cannot leave it with none.
 */
export interface NamespaceRepository {
  roleOf(userId: number, namespace: string): Promise<MemberRole | undefined>;
  get(name: string): Promise<NamespaceRow | undefined>;
  updateProfile(name: string, change: ProfileChange): Promise<void>;
  setLogo(name: string, image: Buffer | null, type: string | null): Promise<void>;
  logo(name: string): Promise<{ bytes: Buffer; type: string } | undefined>;
  /** False when the user is no member. */
  setPublic(namespace: string, userId: number, visible: boolean): Promise<boolean>;
  shownOrgsOf(userId: number): Promise<{ name: string; displayName: string }[]>;
  /** The first `limit` organisations by name (bytewise on both engines), with their counts. */
  orgSummaries(limit: number): Promise<OrgSummary[]>;
  /** False when the name is taken. */
  createOrg(name: string, displayName: string, ownerId: number, now: number): Promise<boolean>;
  members(namespace: string): Promise<MemberRow[]>;
  membershipsOf(
    userId: number,
  ): Promise<{ namespace: string; kind: 'user' | 'org'; role: MemberRole }[]>;
  /** False when the user is no member; throws (changing nothing) when no owner would be left. */
  changeRole(namespace: string, userId: number, role: MemberRole): Promise<boolean>;
  removeMember(namespace: string, userId: number): Promise<boolean>;
}

export function namespaceRepository(store: StoreDatabase): NamespaceRepository {
  switch (store.dialect) {
    case 'sqlite':
      return sqliteNamespaces(store.db);
    case 'postgres':
      return pgNamespaces(store.db);
  }
}
