import { createHash, randomBytes } from 'node:crypto';
import type { Principal } from '../auth/principal.js';
import type { SessionRepository } from './session-repository.js';

export const SESSION_PREFIX = 'ses_';
const LAST_SEEN_RESOLUTION_MS = 60_000;

const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/**
 * Login sessions. The token (256 random bits) is handed out once, as the web cookie and as the
 * API bearer token; only its sha256 is stored, found by an exact index lookup.
 */
export class Sessions {
  constructor(
    private readonly repository: SessionRepository,
    private readonly ttlMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  async create(userId: number, address: string): Promise<{ token: string; expiresAt: number }> {
    const token = `${SESSION_PREFIX}${randomBytes(32).toString('base64url')}`;
    const now = this.clock();
    const expiresAt = now + this.ttlMs;
    await this.repository.create({
      tokenHash: hashToken(token),
      userId,
      createdAt: now,
      expiresAt,
      lastSeenAt: now,
      address,
    });
    return { token, expiresAt };
  }

  /** The user behind a live session token of an enabled user, or undefined. */
  async authenticate(token: string): Promise<Principal | undefined> {
    if (!token.startsWith(SESSION_PREFIX) || token.length > 128) return undefined;
    const now = this.clock();
    const found = await this.repository.byTokenHash(hashToken(token));
    if (!found || found.session.expiresAt <= now || found.user.disabled) return undefined;
    if (now - found.session.lastSeenAt > LAST_SEEN_RESOLUTION_MS)
      await this.repository.touch(found.session.id, now);
    return {
      kind: 'user',
      userId: found.user.id,
      name: found.user.name,
      role: found.user.role,
      sessionId: found.session.id,
    };
  }

  end(sessionId: number): Promise<void> {
    return this.repository.end(sessionId, this.clock());
  }
}
