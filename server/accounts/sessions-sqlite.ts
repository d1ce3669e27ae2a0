import { and, eq, isNull } from 'drizzle-orm';
import type { SqliteDb } from '../db/store-database.js';
import { sessions, users } from '../db/schema.js';
import type { SessionRepository } from './session-repository.js';

export function sqliteSessions(db: SqliteDb): SessionRepository {
  return {
    create: async (session) => {
      db.insert(sessions).values(session).run();
    },
    byTokenHash: async (tokenHash) =>
      db
        .select({ session: sessions, user: users })
        .from(sessions)
        .innerJoin(users, eq(users.id, sessions.userId))
        .where(and(eq(sessions.tokenHash, tokenHash), isNull(sessions.revokedAt)))
        .get(),
    touch: async (id, lastSeenAt) => {
      db.update(sessions).set({ lastSeenAt }).where(eq(sessions.id, id)).run();
    },
    end: async (id, at) => {
      db.update(sessions).set({ revokedAt: at }).where(eq(sessions.id, id)).run();
    },
  };
}
