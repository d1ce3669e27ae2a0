import { and, desc, eq, gte, lt, lte, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/open-database.js';
import { audit } from '../db/schema.js';

export interface AuditEntry {
  actor: string;
  action: string;
  target?: string;
  address?: string;
  /** Facts about the action; never a secret (keys, codes, tokens). */
  detail?: Record<string, unknown>;
}

export interface AuditFilter {
  actor?: string | undefined;
  action?: string | undefined;
  /** Actions starting with this (e.g. `user.`). */
  actionPrefix?: string | undefined;
  target?: string | undefined;
  since?: number | undefined;
  until?: number | undefined;
  /** Entries with an id below this one (the next page). */
  before?: number | undefined;
  limit: number;
}

/** The audit trail: appended by every mutating action, read by admins. */
export class AuditLog {
  /** Prepared once: every push through /v2 appends a row, and building the query cost more than running it. */
  private readonly insert;

  constructor(
    private readonly db: Db,
    private readonly clock: () => number = Date.now,
  ) {
    this.insert = db
      .insert(audit)
      .values({
        at: sql.placeholder('at'),
        actor: sql.placeholder('actor'),
        action: sql.placeholder('action'),
        target: sql.placeholder('target'),
        address: sql.placeholder('address'),
        detail: sql.placeholder('detail'),
      })
      .prepare();
  }

  record(entry: AuditEntry): void {
    this.insert.run({
      at: this.clock(),
      actor: entry.actor,
      action: entry.action,
      target: entry.target ?? '',
      address: entry.address ?? '',
      detail: JSON.stringify(entry.detail ?? {}),
    });
  }

  list(filter: AuditFilter): {
    id: number;
    at: string;
    actor: string;
    action: string;
    target: string;
    address: string;
    detail: unknown;
  }[] {
    const where: SQL[] = [];
    if (filter.actor) where.push(eq(audit.actor, filter.actor));
    if (filter.action) where.push(eq(audit.action, filter.action));
    if (filter.actionPrefix)
      where.push(
        sql`${audit.action} LIKE ${`${filter.actionPrefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`} ESCAPE '\\'`,
      );
    if (filter.target) where.push(eq(audit.target, filter.target));
    if (filter.since !== undefined) where.push(gte(audit.at, filter.since));
    if (filter.until !== undefined) where.push(lte(audit.at, filter.until));
    if (filter.before !== undefined) where.push(lt(audit.id, filter.before));
    return this.db
      .select()
      .from(audit)
      .where(and(...where))
      .orderBy(desc(audit.id))
      .limit(filter.limit)
      .all()
      .map((row) => ({
        ...row,
        at: new Date(row.at).toISOString(),
        detail: JSON.parse(row.detail) as unknown,
      }));
  }
}
