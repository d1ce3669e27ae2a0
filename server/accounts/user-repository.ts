import type { StoreDatabase } from '../db/store-database.js';
import type { users } from '../db/schema.js';
import { pgUsers } from './users-pg.js';
import { sqliteUsers } from './users-sqlite.js';

export type UserRow = typeof users.$inferSelect;
export type NewUser = Pick<UserRow, 'name' | 'createdAt'> &
  Partial<Pick<UserRow, 'phone' | 'displayName' | 'role'>>;
export type UserChange = Partial<Pick<UserRow, 'displayName' | 'bio' | 'website'>>;

/**
 * Users in the database. A user is created with their namespace (and its membership) in one
 * unit of work: never half a user. On PostgreSQL the unique phone and name decide between two
 * first logins at once: the loser re-reads (same phone) or gets the name's conflict.
 */
export interface UserRepository {
  byName(name: string): Promise<UserRow | undefined>;
  byId(id: number): Promise<UserRow | undefined>;
  byPhone(phone: string): Promise<UserRow | undefined>;
  /** Whether a namespace (a user's or an organisation's) is called `name`. */
  nameTaken(name: string): Promise<boolean>;
  /**
   * The user of `user.phone`, else a new one with the namespace `user.name`; `taken` when that
   * name is. Without a name, `generate` names the user (called again while the name is taken).
   */
  findOrCreate(
    user: Omit<NewUser, 'name'> & { name: string | undefined },
    generate: () => string,
  ): Promise<{ user: UserRow; created: boolean } | 'taken'>;
  /** A new user with their namespace (the bootstrap admin). */
  create(user: NewUser): Promise<UserRow>;
  update(userId: number, change: UserChange): Promise<void>;
  setAvatar(userId: number, image: Buffer | null, type: string | null): Promise<void>;
  /** Disabling also ends the user's live sessions, in the same transaction. */
  setDisabled(userId: number, disabled: boolean, now: number): Promise<void>;
  setRole(userId: number, role: 'admin' | 'user'): Promise<void>;
  /**
   * The user `name` with no namespace of its own (an app's robot, auth/permissions.ts), created on
   * first sight; two first sights at once make one row (the unique name).
   */
  ensureRobot(name: string, displayName: string, createdAt: number): Promise<UserRow>;
  /** When the store's first user was created; undefined while it has none. */
  firstCreatedAt(): Promise<number | undefined>;
  /** Users by name (byte order), after `after`. */
  /** By name; `search`: a part of the name or display name, or the phone's last digits. */
  list(after: string | undefined, limit: number, search?: string): Promise<UserRow[]>;
}

export function userRepository(store: StoreDatabase): UserRepository {
  switch (store.dialect) {
    case 'sqlite':
      return sqliteUsers(store.db);
    case 'postgres':
      return pgUsers(store.db);
  }
}
