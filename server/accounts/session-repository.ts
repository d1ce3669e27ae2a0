import type { StoreDatabase } from '../db/store-database.js';
import type { sessions } from '../db/schema.js';
import type { UserRow } from './users.js';
import { pgSessions } from './sessions-pg.js';
import { sqliteSessions } from './sessions-sqlite.js';

export type SessionRow = typeof sessions.$inferSelect;
export type NewSession = Omit<SessionRow, 'id' | 'revokedAt'>;

/** Login sessions in the database: each method one statement, nothing read-then-written. */
export interface SessionRepository {
  create(session: NewSession): Promise<void>;
  /** The unrevoked session with `tokenHash`, with its user. */
  byTokenHash(tokenHash: string): Promise<{ session: SessionRow; user: UserRow } | undefined>;
  touch(id: number, lastSeenAt: number): Promise<void>;
  end(id: number, at: number): Promise<void>;
}

export function sessionRepository(store: StoreDatabase): SessionRepository {
  switch (store.dialect) {
    case 'sqlite':
      return sqliteSessions(store.db);
    case 'postgres':
      return pgSessions(store.db);
  }
}
