import { randomBytes } from 'node:crypto';
import { and, asc, eq, gt, isNull, or, sql } from 'drizzle-orm';
import type { Db } from '../db/open-database.js';
import { namespaces, sessions, users } from '../db/schema.js';
import { StoreError } from '../errors.js';
import { namespaceNameProblem } from './names.js';
import type { Namespaces } from './namespaces.js';

export type UserRow = typeof users.$inferSelect;

/** What anyone may see of a user. */
export interface PublicProfile {
  name: string;
  displayName: string;
  bio: string;
  website: string;
  avatarUrl: string | null;
  createdAt: string;
}

export interface ProfileChange {
  displayName?: string | undefined;
  bio?: string | undefined;
  website?: string | undefined;
}

export function publicProfile(user: UserRow): PublicProfile {
  return {
    name: user.name,
    displayName: user.displayName,
    bio: user.bio,
    website: user.website,
    avatarUrl: user.avatarType ? `/api/v1/users/${user.name}/avatar` : null,
    createdAt: new Date(user.createdAt).toISOString(),
  };
}

export class Users {
  constructor(
    private readonly db: Db,
    private readonly namespaces: Namespaces,
    private readonly clock: () => number = Date.now,
  ) {}

  byName(name: string): UserRow | undefined {
    return this.db.select().from(users).where(eq(users.name, name)).get();
  }

  byId(id: number): UserRow | undefined {
    return this.db.select().from(users).where(eq(users.id, id)).get();
  }

  byPhone(phone: string): UserRow | undefined {
    return this.db.select().from(users).where(eq(users.phone, phone)).get();
  }

  /** Throws the error a first login with `name` would meet, before a code is spent on it. */
  assertCanSignUp(phone: string, name: string | undefined): void {
    if (name === undefined || this.byPhone(phone)) return;
    const problem = namespaceNameProblem(name);
    if (problem) throw new StoreError('invalid', `name ${problem}`, { field: 'name' });
    if (
      this.db.select({ id: namespaces.id }).from(namespaces).where(eq(namespaces.name, name)).get()
    ) {
      throw new StoreError('conflict', `the name "${name}" is taken; choose another`, {
        field: 'name',
      });
    }
  }

  /**
   * The user of `phone`, created on first login with the namespace `wanted` (or a generated one).
   * User, namespace and membership are written in one transaction: never half a user.
   */
  findOrCreateByPhone(phone: string, wanted?: string): { user: UserRow; created: boolean } {
    return this.db.transaction((tx) => {
      const existing = tx.select().from(users).where(eq(users.phone, phone)).get();
      if (existing) return { user: existing, created: false };
      let name = wanted;
      if (name !== undefined) {
        const problem = namespaceNameProblem(name);
        if (problem) throw new StoreError('invalid', `name ${problem}`, { field: 'name' });
        if (
          tx.select({ id: namespaces.id }).from(namespaces).where(eq(namespaces.name, name)).get()
        ) {
          throw new StoreError('conflict', `the name "${name}" is taken; choose another`, {
            field: 'name',
          });
        }
      } else {
        do name = `user-${randomBytes(4).toString('hex')}`;
        while (
          tx.select({ id: namespaces.id }).from(namespaces).where(eq(namespaces.name, name)).get()
        );
      }
      const user = tx
        .insert(users)
        .values({ name, phone, createdAt: this.clock() })
        .returning()
        .get();
      this.namespaces.createForUser(tx, name, user.id);
      return { user, created: true };
    });
  }

  update(userId: number, change: ProfileChange): UserRow {
    const set = Object.fromEntries(Object.entries(change).filter(([, v]) => v !== undefined));
    if (Object.keys(set).length > 0)
      this.db.update(users).set(set).where(eq(users.id, userId)).run();
    return this.byId(userId)!;
  }

  setAvatar(userId: number, image: Buffer | null, type: string | null): void {
    this.db
      .update(users)
      .set({ avatar: image, avatarType: type })
      .where(eq(users.id, userId))
      .run();
  }

  /** Disabling takes effect at once: sessions end, and keys stop working while disabled. */
  setDisabled(userId: number, disabled: boolean): void {
    this.db.transaction((tx) => {
      tx.update(users).set({ disabled }).where(eq(users.id, userId)).run();
      if (disabled)
        tx.update(sessions)
          .set({ revokedAt: this.clock() })
          .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt)))
          .run();
    });
  }

  setRole(userId: number, role: 'admin' | 'user'): void {
    this.db.update(users).set({ role }).where(eq(users.id, userId)).run();
  }

  /** By name; `search` matches a part of the name or display name, or the phone's last digits. */
  list(options: {
    after?: string | undefined;
    search?: string | undefined;
    limit: number;
  }): UserRow[] {
    const term = options.search?.replace(/[\\%_]/g, (c) => `\\${c}`);
    return this.db
      .select()
      .from(users)
      .where(
        and(
          options.after ? gt(users.name, options.after) : undefined,
          term
            ? or(
                sql`${users.name} LIKE ${`%${term}%`} ESCAPE '\\'`,
                sql`${users.displayName} LIKE ${`%${term}%`} ESCAPE '\\'`,
                sql`${users.phone} LIKE ${`%${term}`} ESCAPE '\\'`,
              )
            : undefined,
        ),
      )
      .orderBy(asc(users.name))
      .limit(options.limit)
      .all();
  }
}
