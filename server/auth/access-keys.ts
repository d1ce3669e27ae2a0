import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { StoreError } from '../errors.js';
import type { AccessKeyRepository, AccessKeyRow } from './access-key-repository.js';
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
    private readonly repository: AccessKeyRepository,
    private readonly clock: () => number = Date.now,
  ) {}

  async create(
    userId: number,
    name: string,
    scopes: KeyScope[],
    options: { expiresAt?: number; secret?: string; maxLive?: number } = {},
  ): Promise<NewKey> {
    const key = options.secret ?? generateSecret();
    const prefix = key.slice(0, PREFIX_LENGTH);
    const id = await this.repository.create(
      {
        userId,
        name,
        prefix,
        secretHash: hashSecret(key),
        scopes: JSON.stringify(scopes),
        createdAt: this.clock(),
        expiresAt: options.expiresAt ?? null,
      },
      options.maxLive,
    );
    if (id === undefined)
      throw new StoreError('conflict', `at most ${options.maxLive} keys; revoke one first`);
    return { id, key, prefix };
  }

  /**
   * The principal a key (and, when given, its owner's name) stands for, or undefined. The key is found by its
   * prefix and its hash compared in constant time; revoked, expired keys and disabled users fail.
   */
  async authenticate(secret: string, username?: string): Promise<Principal | undefined> {
    if (secret.length < PREFIX_LENGTH || secret.length > 255) return undefined;
    const wanted = Buffer.from(hashSecret(secret), 'hex');
    const now = this.clock();
    const candidates = await this.repository.byPrefix(secret.slice(0, PREFIX_LENGTH));
    for (const { key, user } of candidates) {
      if (!timingSafeEqual(Buffer.from(key.secretHash, 'hex'), wanted)) continue;
      if ((username !== undefined && user.name !== username) || user.disabled) return undefined;
      if (key.expiresAt !== null && key.expiresAt <= now) return undefined;
      if (key.lastUsedAt === null || now - key.lastUsedAt > LAST_USED_RESOLUTION_MS)
        await this.repository.touchLastUsed(key.id, now);
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
  async ownerOf(secret: string): Promise<string | undefined> {
    if (secret.length < PREFIX_LENGTH || secret.length > 255) return undefined;
    return this.repository.ownerNameByPrefix(secret.slice(0, PREFIX_LENGTH));
  }

  /** Replaces the secret of a key (the bootstrap admin key set from configuration). */
  setSecret(id: number, secret: string): Promise<void> {
    return this.repository.setSecret(id, secret.slice(0, PREFIX_LENGTH), hashSecret(secret));
  }

  /** A user's keys that are not revoked, newest last; never their secrets. */
  async list(userId: number): Promise<KeyInfo[]> {
    return (await this.repository.list(userId)).map(keyInfo);
  }

  /** `userId`'s unrevoked key called `name`, with its secret's hash (bootstrap compares it). */
  liveNamed(userId: number, name: string): Promise<AccessKeyRow | undefined> {
    return this.repository.liveNamed(userId, name);
  }

  async get(id: number): Promise<(KeyInfo & { userId: number; revoked: boolean }) | undefined> {
    const row = await this.repository.get(id);
    return row
      ? { ...keyInfo(row), userId: row.userId, revoked: row.revokedAt !== null }
      : undefined;
  }

  /** Revokes at once: the next request with the key, or a registry token made from it, fails. */
  revoke(id: number): Promise<boolean> {
    return this.repository.revoke(id, this.clock());
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

function keyInfo(row: AccessKeyRow): KeyInfo {
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
