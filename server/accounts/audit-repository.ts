import type { StoreDatabase } from '../db/store-database.js';
import type { audit } from '../db/schema.js';
import { pgAudit } from './audit-pg.js';
import { sqliteAudit } from './audit-sqlite.js';

export type AuditRow = typeof audit.$inferSelect;
export type NewAuditRow = Omit<AuditRow, 'id'>;

export interface AuditQuery {
  actor?: string | undefined;
  action?: string | undefined;
  /** Actions starting with this (e.g. `user.`). */
  actionPrefix?: string | undefined;
  target?: string | undefined;
  since?: number | undefined;
  until?: number | undefined;
  before?: number | undefined;
  limit: number;
}

/**
 * The audit trail. `record` runs on every push through /v2: on SQLite it is one prepared
 * statement run at once and returns nothing (no promise, no microtask); on PostgreSQL it returns
 * the insert's promise, which the caller awaits.
 */
export interface AuditRepository {
  record(row: NewAuditRow): void | Promise<void>;
  /** Newest first. */
  list(query: AuditQuery): Promise<AuditRow[]>;
}

export function auditRepository(store: StoreDatabase): AuditRepository {
  switch (store.dialect) {
    case 'sqlite':
      return sqliteAudit(store.db);
    case 'postgres':
      return pgAudit(store.db);
  }
}
