import { createHash, randomBytes } from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
import type { Db } from '../db/open-database.js';
import { sessions, users } from '../db/schema.js';
import type { Principal } from '../auth/principal.js';

export const SESSION_PREFIX = 'ses_';
const LAST_SEEN_RESOLUTION_MS = 60_000;

const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/**
 * Login sessions. The token (256 random bits) is handed out once, as the web cookie and as the
 * API bearer token; only its sha256 is stored, found by an exact index lookup.
 */
export class Sessions {
  constructor(
    private readonly db: Db,
    private readonly ttlMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  create(userId: number, address: string): { token: string; expiresAt: number } {
    const token = `${SESSION_PREFIX}${randomBytes(32).toString('base64url')}`;
    const now = this.clock();
    const expiresAt = now + this.ttlMs;
    this.db
      .insert(sessions)
      .values({
        tokenHash: hashToken(token),
        userId,
        createdAt: now,
        expiresAt,
        lastSeenAt: now,
        address,
      })
      .run();
    return { token, expiresAt };
  }

  /** The user behind a live session token of an enabled user, or undefined. */
  authenticate(token: string): Principal | undefined {
    if (!token.startsWith(SESSION_PREFIX) || token.length > 128) return undefined;
    const now = this.clock();
    const found = this.db
      .select({ session: sessions, user: users })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(and(eq(sessions.tokenHash, hashToken(token)), isNull(sessions.revokedAt)))
      .get();
    if (!found || found.session.expiresAt <= now || found.user.disabled) return undefined;
    if (now - found.session.lastSeenAt > LAST_SEEN_RESOLUTION_MS) {
      this.db
        .update(sessions)
        .set({ lastSeenAt: now })
        .where(eq(sessions.id, found.session.id))
        .run();
    }
    return {
      kind: 'user',
      userId: found.user.id,
      name: found.user.name,
      role: found.user.role,
      sessionId: found.session.id,
    };
  }

  end(sessionId: number): void {
    this.db
      .update(sessions)
      .set({ revokedAt: this.clock() })
      .where(eq(sessions.id, sessionId))
      .run();
  }
}
