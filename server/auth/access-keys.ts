import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { and, asc, eq, isNull } from 'drizzle-orm';
import type { Db } from '../db/open-database.js';
import { accessKeys, users } from '../db/schema.js';
import type { KeyScope, Principal } from './principal.js';

const PREFIX_LENGTH = 12;
const LAST_USED_RESOLUTION_MS = 60_000;

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** `ask_` + 32 characters of base64url: 192 random bits. */
export function generateSecret(): string {
  return `ask_${randomBytes(24).toString('base64url')}`;
}

export interface NewKey {
  id: number;
  key: string;
  prefix: string;
}

export class AccessKeys {
  constructor(
    private readonly db: Db,
    private readonly clock: () => number = Date.now,
  ) {}

  create(
    userId: number,
    name: string,
    scopes: KeyScope[],
    options: { expiresAt?: number; secret?: string } = {},
  ): NewKey {
    const key = options.secret ?? generateSecret();
    const prefix = key.slice(0, PREFIX_LENGTH);
    const row = this.db
      .insert(accessKeys)
      .values({
        userId,
        name,
        prefix,
        secretHash: hashSecret(key),
        scopes: JSON.stringify(scopes),
        createdAt: this.clock(),
        expiresAt: options.expiresAt ?? null,
      })
      .returning({ id: accessKeys.id })
      .get();
    return { id: row.id, key, prefix };
  }

  /**
   * The principal a key (and, when given, its owner's name) stands for, or undefined. The key is found by its
   * prefix and its hash compared in constant time; revoked, expired keys and disabled users fail.
   */
  authenticate(secret: string, username?: string): Principal | undefined {
    if (secret.length < PREFIX_LENGTH || secret.length > 255) return undefined;
    const wanted = Buffer.from(hashSecret(secret), 'hex');
    const now = this.clock();
    const candidates = this.db
      .select({ key: accessKeys, user: users })
      .from(accessKeys)
      .innerJoin(users, eq(users.id, accessKeys.userId))
      .where(
        and(eq(accessKeys.prefix, secret.slice(0, PREFIX_LENGTH)), isNull(accessKeys.revokedAt)),
      )
      .all();
    for (const { key, user } of candidates) {
      if (!timingSafeEqual(Buffer.from(key.secretHash, 'hex'), wanted)) continue;
      if ((username !== undefined && user.name !== username) || user.disabled) return undefined;
      if (key.expiresAt !== null && key.expiresAt <= now) return undefined;
      if (key.lastUsedAt === null || now - key.lastUsedAt > LAST_USED_RESOLUTION_MS) {
        this.db.update(accessKeys).set({ lastUsedAt: now }).where(eq(accessKeys.id, key.id)).run();
      }
      return {
        kind: 'user',
        userId: user.id,
        name: user.name,
        role: user.role,
        keyScopes: JSON.parse(key.scopes) as KeyScope[],
        keyId: key.id,
      };
    }
    return undefined;
  }

  /** The name of the user with a key that starts as `secret` does: a wrong key is counted against them. */
  ownerOf(secret: string): string | undefined {
    if (secret.length < PREFIX_LENGTH || secret.length > 255) return undefined;
    return this.db
      .select({ name: users.name })
      .from(accessKeys)
      .innerJoin(users, eq(users.id, accessKeys.userId))
      .where(eq(accessKeys.prefix, secret.slice(0, PREFIX_LENGTH)))
      .get()?.name;
  }

  /** Replaces the secret of a key (the bootstrap admin key set from configuration). */
  setSecret(id: number, secret: string): void {
    this.db
      .update(accessKeys)
      .set({ prefix: secret.slice(0, PREFIX_LENGTH), secretHash: hashSecret(secret) })
      .where(eq(accessKeys.id, id))
      .run();
  }

  /** A user's keys that are not revoked, newest last; never their secrets. */
  list(userId: number): KeyInfo[] {
    return this.db
      .select()
      .from(accessKeys)
      .where(and(eq(accessKeys.userId, userId), isNull(accessKeys.revokedAt)))
      .orderBy(asc(accessKeys.id))
      .all()
      .map(keyInfo);
  }

  get(id: number): (KeyInfo & { userId: number; revoked: boolean }) | undefined {
    const row = this.db.select().from(accessKeys).where(eq(accessKeys.id, id)).get();
    return row
      ? { ...keyInfo(row), userId: row.userId, revoked: row.revokedAt !== null }
      : undefined;
  }

  /** Revokes at once: the next request with the key, or a registry token made from it, fails. */
  revoke(id: number): boolean {
    return (
      this.db
        .update(accessKeys)
        .set({ revokedAt: this.clock() })
        .where(and(eq(accessKeys.id, id), isNull(accessKeys.revokedAt)))
        .run().changes > 0
    );
  }
}

export interface KeyInfo {
  id: number;
  name: string;
  prefix: string;
  scopes: KeyScope[];
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function keyInfo(row: typeof accessKeys.$inferSelect): KeyInfo {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: JSON.parse(row.scopes) as KeyScope[],
    createdAt: iso(row.createdAt)!,
    lastUsedAt: iso(row.lastUsedAt),
    expiresAt: iso(row.expiresAt),
  };
}
