import { and, eq, isNull } from 'drizzle-orm';
import type { PgDb } from '../db/store-database.js';
import { sessions, users } from '../db/schema.pg.js';
import type { SessionRepository } from './session-repository.js';

export function pgSessions(db: PgDb): SessionRepository {
  return {
    create: async (session) => {
      await db.insert(sessions).values(session);
    },
    byTokenHash: async (tokenHash) => {
      const [found] = await db
        .select({ session: sessions, user: users })
        .from(sessions)
        .innerJoin(users, eq(users.id, sessions.userId))
        .where(and(eq(sessions.tokenHash, tokenHash), isNull(sessions.revokedAt)));
      return found;
    },
    touch: async (id, lastSeenAt) => {
      await db.update(sessions).set({ lastSeenAt }).where(eq(sessions.id, id));
    },
    end: async (id, at) => {
      await db.update(sessions).set({ revokedAt: at }).where(eq(sessions.id, id));
    },
  };
}
