/**
 * Quotas on SQLite: the statements as before the port, synchronous (the push path's checks cost
 * two index lookups and no microtask). The figure checks go by is kept per process: the usage last
 * counted plus what this process let in since. Removals (deletes, GC) make it count high, never
 * low, and a check it would refuse counts again first; pushes through other processes are seen
 * when it is counted again (USAGE_TTL_MS). Checks are per blob: two pushes racing for the last
 * bytes of room through two processes may both pass.
 */
import type Database from 'better-sqlite3';
import { and, eq } from 'drizzle-orm';
import { namespaces } from '../db/schema.js';
import { settle } from '../db/settle.js';
import type { SqliteDb } from '../db/store-database.js';
import { namespaceQuotas } from '../db/store-schema.js';
import {
  USAGE_TTL_MS,
  type QuotaListing,
  type QuotaRepository,
  type QuotaRow,
  type Reservation,
} from './quota-repository.js';

/** `<namespace>/` up to (not including) `<namespace>0`: every repository of it, by index range. */
export function rangeOf(namespace: string): { lo: string; hi: string } {
  return { lo: `${namespace}/`, hi: `${namespace}0` };
}

export class SqliteQuotaRepository implements QuotaRepository {
  private readonly usedQuery: Database.Statement;
  private readonly holdsBlob: Database.Statement;
  private readonly holdsManifest: Database.Statement;
  private readonly counted = new Map<string, { used: number; at: number }>();

  constructor(
    private readonly db: SqliteDb,
    sqlite: Database.Database,
  ) {
    this.usedQuery = sqlite.prepare(
      `select (select coalesce(sum(size), 0) from blobs where digest in
                (select digest from repository_blobs where repository >= @lo and repository < @hi))
            + (select coalesce(sum(size), 0) from
                (select distinct digest, size from manifests where repository >= @lo and repository < @hi))
         as used`,
    );
    this.holdsBlob = sqlite.prepare(
      'select 1 from repository_blobs where digest = @digest and repository >= @lo and repository < @hi limit 1',
    );
    this.holdsManifest = sqlite.prepare(
      'select 1 from manifests where digest = @digest and repository >= @lo and repository < @hi limit 1',
    );
  }

  settingsOf(namespace: string): QuotaRow | undefined {
    return this.db
      .select({
        limitBytes: namespaceQuotas.limitBytes,
        warnBytes: namespaceQuotas.warnBytes,
        warned: namespaceQuotas.warned,
      })
      .from(namespaceQuotas)
      .innerJoin(namespaces, eq(namespaces.id, namespaceQuotas.namespaceId))
      .where(eq(namespaces.name, namespace))
      .get();
  }

  holds(namespace: string, kind: 'blob' | 'manifest', digest: string): boolean {
    const statement = kind === 'blob' ? this.holdsBlob : this.holdsManifest;
    return statement.get({ ...rangeOf(namespace), digest }) !== undefined;
  }

  count(namespace: string, now: number): number {
    const used = (this.usedQuery.get(rangeOf(namespace)) as { used: number }).used;
    this.counted.set(namespace, { used, at: now });
    return used;
  }

  recentUsage(namespace: string, now: number): number {
    const last = this.counted.get(namespace);
    if (last && now - last.at < USAGE_TTL_MS) return last.used;
    return this.count(namespace, now);
  }

  reserve(
    namespace: string,
    size: number,
    limitBytes: number,
    digest: string | undefined,
    now: number,
  ): Reservation {
    let used = this.recentUsage(namespace, now);
    if (limitBytes > 0 && used + size > limitBytes) used = this.count(namespace, now);
    if (limitBytes > 0 && used + size > limitBytes) return { admitted: false, usedBytes: used };
    const last = this.counted.get(namespace);
    if (last && digest !== undefined) last.used += size; // counted before it is stored: should storing fail, it is high
    return { admitted: true, usedBytes: used };
  }

  namespaceId(namespace: string): Promise<number | undefined> {
    return settle(
      () =>
        this.db
          .select({ id: namespaces.id })
          .from(namespaces)
          .where(eq(namespaces.name, namespace))
          .get()?.id,
    );
  }

  setQuota(namespaceId: number, limitBytes: number, warnBytes: number, at: number): Promise<void> {
    return settle(() => {
      const values = { limitBytes, warnBytes, warned: false, updatedAt: at };
      this.db
        .insert(namespaceQuotas)
        .values({ namespaceId, ...values })
        .onConflictDoUpdate({ target: namespaceQuotas.namespaceId, set: values })
        .run();
    });
  }

  clearQuota(namespaceId: number): Promise<void> {
    return settle(() => {
      this.db.delete(namespaceQuotas).where(eq(namespaceQuotas.namespaceId, namespaceId)).run();
    });
  }

  flipWarned(namespace: string, above: boolean): Promise<boolean> {
    return settle(() => {
      const ns = this.db
        .select({ id: namespaces.id })
        .from(namespaces)
        .where(eq(namespaces.name, namespace))
        .get();
      if (!ns) return false;
      const flipped = this.db
        .update(namespaceQuotas)
        .set({ warned: above })
        .where(and(eq(namespaceQuotas.namespaceId, ns.id), eq(namespaceQuotas.warned, !above)))
        .run();
      return flipped.changes > 0;
    });
  }

  everyNamespace(): Promise<QuotaListing[]> {
    return settle(() =>
      this.db
        .select({
          namespace: namespaces.name,
          limitBytes: namespaceQuotas.limitBytes,
          warnBytes: namespaceQuotas.warnBytes,
        })
        .from(namespaces)
        .leftJoin(namespaceQuotas, eq(namespaces.id, namespaceQuotas.namespaceId))
        .all()
        .map((q) => ({
          namespace: q.namespace,
          limitBytes: q.limitBytes ?? 0,
          warnBytes: q.warnBytes ?? 0,
        })),
    );
  }

  withQuotas(): Promise<QuotaListing[]> {
    return settle(() =>
      this.db
        .select({
          namespace: namespaces.name,
          limitBytes: namespaceQuotas.limitBytes,
          warnBytes: namespaceQuotas.warnBytes,
        })
        .from(namespaceQuotas)
        .innerJoin(namespaces, eq(namespaces.id, namespaceQuotas.namespaceId))
        .all(),
    );
  }
}
