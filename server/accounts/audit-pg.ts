import { and, desc, eq, gte, lt, lte, sql, type SQL } from 'drizzle-orm';
import type { PgDb } from '../db/store-database.js';
import { audit } from '../db/schema.pg.js';
import { escapeLike } from '../db/like.js';
import type { AuditQuery, AuditRepository } from './audit-repository.js';

function where(q: AuditQuery): SQL[] {
  const w: SQL[] = [];
  if (q.actor) w.push(eq(audit.actor, q.actor));
  if (q.action) w.push(eq(audit.action, q.action));
  if (q.actionPrefix)
    w.push(sql`${audit.action} LIKE ${`${escapeLike(q.actionPrefix)}%`} ESCAPE '\\'`);
  if (q.target) w.push(eq(audit.target, q.target));
  if (q.since !== undefined) w.push(gte(audit.at, q.since));
  if (q.until !== undefined) w.push(lte(audit.at, q.until));
  if (q.before !== undefined) w.push(lt(audit.id, q.before));
  return w;
}

export function pgAudit(db: PgDb): AuditRepository {
  return {
    record: async (row) => {
      await db.insert(audit).values(row);
    },
    list: (q) =>
      db
        .select()
        .from(audit)
        .where(and(...where(q)))
        .orderBy(desc(audit.id))
        .limit(q.limit),
  };
}
