/**
 * Quotas on SQLite: the statements as before the port, synchronous (the push path's checks cost
 * two index lookups and no microtask). The figure checks go by is kept per process: the usage last
 * counted plus what this process let in since. Removals (deletes, GC) make it count high, never
 * low, and a check it would refuse counts again first; a count adds what this process let in and
 * has not linked yet (by digest, RESERVATION_MS), so pushes racing in the process get exactly the
 * room there is. Pushes through other processes are seen when it is counted again (USAGE_TTL_MS):
 * two racing for the last bytes of room through two processes may both pass.
 */
import type Database from 'better-sqlite3';
import { and, eq, sql } from 'drizzle-orm';
import { namespaces } from '../db/schema.js';
import { settle } from '../db/settle.js';
import type { SqliteDb } from '../db/store-database.js';
import { namespaceQuotas } from '../db/store-schema.js';
import {
  RESERVATION_MS,
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

/** A namespace's quota row, by the namespace's name (`namespace`). */
function settingsQuery(db: SqliteDb) {
  return db
    .select({
      limitBytes: namespaceQuotas.limitBytes,
      warnBytes: namespaceQuotas.warnBytes,
      warned: namespaceQuotas.warned,
    })
    .from(namespaceQuotas)
    .innerJoin(namespaces, eq(namespaces.id, namespaceQuotas.namespaceId))
    .where(eq(namespaces.name, sql.placeholder('namespace')))
    .prepare();
}

export class SqliteQuotaRepository implements QuotaRepository {
  private readonly usedQuery: Database.Statement;
  private readonly holdsBlob: Database.Statement;
  private readonly holdsManifest: Database.Statement;
  /** Asked on every blob link and manifest push: built and prepared once (a prepare per call was most of its cost). */
  private readonly settings: ReturnType<typeof settingsQuery>;
  private readonly counted = new Map<string, { used: number; at: number }>();
  /** Bytes let in per namespace, by digest, when (not linked yet, or linked since). */
  private readonly letIn = new Map<string, Map<string, { size: number; at: number }>>();

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
    this.settings = settingsQuery(db);
  }

  settingsOf(namespace: string): QuotaRow | undefined {
    return this.settings.get({ namespace });
  }

  holds(namespace: string, kind: 'blob' | 'manifest', digest: string): boolean {
    const statement = kind === 'blob' ? this.holdsBlob : this.holdsManifest;
    return statement.get({ ...rangeOf(namespace), digest }) !== undefined;
  }

  count(namespace: string, now: number): number {
    const linked = (this.usedQuery.get(rangeOf(namespace)) as { used: number }).used;
    this.counted.set(namespace, { used: linked + this.pendingBytes(namespace, now), at: now });
    return linked;
  }

  recentUsage(namespace: string, now: number): number {
    const last = this.counted.get(namespace);
    if (last && now - last.at < USAGE_TTL_MS) return last.used;
    this.count(namespace, now);
    return this.counted.get(namespace)!.used;
  }

  reserve(
    namespace: string,
    size: number,
    limitBytes: number,
    digest: string | undefined,
    now: number,
  ): Reservation {
    const letIn = this.letIn.get(namespace) ?? new Map<string, { size: number; at: number }>();
    const again = digest === undefined ? undefined : letIn.get(digest);
    if (again && now - again.at < RESERVATION_MS) {
      again.at = now; // let in already (an upload's early check, then its commit)
      return { admitted: true, usedBytes: this.recentUsage(namespace, now) };
    }
    let used = this.recentUsage(namespace, now);
    if (limitBytes > 0 && used + size > limitBytes) {
      this.count(namespace, now); // never refuse on a stale figure
      used = this.counted.get(namespace)!.used;
    }
    if (limitBytes > 0 && used + size > limitBytes) return { admitted: false, usedBytes: used };
    if (digest !== undefined) {
      // Counted before it is stored: should storing fail, it is high until RESERVATION_MS.
      this.counted.get(namespace)!.used += size;
      letIn.set(digest, { size, at: now });
      this.letIn.set(namespace, letIn);
    }
    return { admitted: true, usedBytes: used };
  }

  /** Bytes let in and not linked yet; forgets what is linked or past RESERVATION_MS. */
  private pendingBytes(namespace: string, now: number): number {
    const letIn = this.letIn.get(namespace);
    if (!letIn) return 0;
    let pending = 0;
    for (const [digest, { size, at }] of letIn) {
      const held =
        this.holds(namespace, 'blob', digest) || this.holds(namespace, 'manifest', digest);
      if (held || now - at >= RESERVATION_MS) letIn.delete(digest);
      else pending += size;
    }
    if (letIn.size === 0) this.letIn.delete(namespace);
    return pending;
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
