/**
 * Quotas on PostgreSQL. The figure checks go by is shared by every process: the quota row's
 * `used_bytes` (the usage counted at `counted_at`, plus what checks let in since). A check reads
 * it, counts again when it is stale or would refuse, and adds what it lets in, all under the quota
 * row's lock (`FOR UPDATE`): checks of one namespace take turns cluster-wide, and the second of two
 * pushes racing for the last bytes of room sees the first's bytes. What a check lets in is also
 * written down by digest (`quota_reservations`): a count adds the reservations of the last
 * RESERVATION_MS whose digest the namespace does not hold yet, so counting again never forgets a
 * push that was let in and is still placing its bytes. A push that failed counts until then.
 */
import { and, eq, sql, type SQL } from 'drizzle-orm';
import { namespaces } from '../db/schema.pg.js';
import type { PgDb } from '../db/store-database.js';
import { namespaceQuotas } from '../db/store-schema.pg.js';
import {
  RESERVATION_MS,
  USAGE_TTL_MS,
  type QuotaListing,
  type QuotaRepository,
  type QuotaRow,
  type Reservation,
} from './quota-repository.js';
import { rangeOf } from './quotas-sqlite.js';

type Executor = Pick<PgDb, 'execute'>;

/** `repository` in the namespace's range; `COLLATE "C"`: byte order, as SQLite's. */
function inRange(namespace: string, column: SQL): SQL {
  const { lo, hi } = rangeOf(namespace);
  return sql`${column} collate "C" >= ${lo} and ${column} collate "C" < ${hi}`;
}

/** Bytes the namespace's repositories hold, each blob and manifest once. */
function linkedQuery(namespace: string): SQL {
  return sql`(select coalesce(sum(size), 0) from blobs where digest in
                (select digest from repository_blobs where ${inRange(namespace, sql`repository`)}))
            + (select coalesce(sum(size), 0) from
                (select distinct digest, size from manifests
                  where ${inRange(namespace, sql`repository`)}) m)`;
}

async function linkedBytes(db: Executor, namespace: string): Promise<number> {
  const result = await db.execute<{ linked: string }>(
    sql`select ${linkedQuery(namespace)} as linked`,
  );
  return Number(result.rows[0]?.linked ?? 0);
}

/**
 * What is linked and what was let in and is not linked yet (reservations younger than
 * RESERVATION_MS whose digest the namespace does not hold), in one statement: one snapshot, so a
 * push linking its bytes meanwhile is counted in one of the two, never in neither.
 */
async function linkedAndPending(
  db: Executor,
  namespaceId: number,
  namespace: string,
  now: number,
): Promise<{ linked: number; pending: number }> {
  const result = await db.execute<{ linked: string; pending: string }>(
    sql`select ${linkedQuery(namespace)} as linked,
          (select coalesce(sum(r.size), 0) from quota_reservations r
            where r.namespace_id = ${namespaceId} and r.reserved_at > ${now - RESERVATION_MS}
              and not exists (select 1 from repository_blobs b
                               where b.digest = r.digest and ${inRange(namespace, sql`b.repository`)})
              and not exists (select 1 from manifests m
                               where m.digest = r.digest and ${inRange(namespace, sql`m.repository`)})
          ) as pending`,
  );
  const row = result.rows[0];
  return { linked: Number(row?.linked ?? 0), pending: Number(row?.pending ?? 0) };
}

interface LockedQuota {
  namespaceId: number;
  used: number;
  at: number;
}

/** The namespace's quota row, locked until the transaction ends; undefined when it has none. */
async function lockQuota(tx: PgDb, namespace: string): Promise<LockedQuota | undefined> {
  const [row] = await tx
    .select({
      namespaceId: namespaceQuotas.namespaceId,
      used: namespaceQuotas.usedBytes,
      at: namespaceQuotas.countedAt,
    })
    .from(namespaceQuotas)
    .innerJoin(namespaces, eq(namespaces.id, namespaceQuotas.namespaceId))
    .where(eq(namespaces.name, namespace))
    .for('update', { of: namespaceQuotas });
  return row;
}

/**
 * Counts the namespace under its locked row: keeps linked plus pending bytes as the figure,
 * forgets reservations past RESERVATION_MS, and returns both parts.
 */
async function recount(
  tx: PgDb,
  quota: LockedQuota,
  namespace: string,
  now: number,
): Promise<{ linked: number; figure: number }> {
  const { linked, pending } = await linkedAndPending(tx, quota.namespaceId, namespace, now);
  const figure = linked + pending;
  await tx.execute(sql`delete from quota_reservations
    where namespace_id = ${quota.namespaceId} and reserved_at <= ${now - RESERVATION_MS}`);
  await tx
    .update(namespaceQuotas)
    .set({ usedBytes: figure, countedAt: now })
    .where(eq(namespaceQuotas.namespaceId, quota.namespaceId));
  return { linked, figure };
}

export class PgQuotaRepository implements QuotaRepository {
  constructor(private readonly db: PgDb) {}

  async settingsOf(namespace: string): Promise<QuotaRow | undefined> {
    const [row] = await this.db
      .select({
        limitBytes: namespaceQuotas.limitBytes,
        warnBytes: namespaceQuotas.warnBytes,
        warned: namespaceQuotas.warned,
      })
      .from(namespaceQuotas)
      .innerJoin(namespaces, eq(namespaces.id, namespaceQuotas.namespaceId))
      .where(eq(namespaces.name, namespace));
    return row;
  }

  async holds(namespace: string, kind: 'blob' | 'manifest', digest: string): Promise<boolean> {
    const table = kind === 'blob' ? sql`repository_blobs` : sql`manifests`;
    const result = await this.db.execute(
      sql`select 1 from ${table} where digest = ${digest} and ${inRange(namespace, sql`repository`)} limit 1`,
    );
    return result.rows.length > 0;
  }

  /** What the namespace holds (linked); the figure kept also has the pushes under way. */
  async count(namespace: string, now: number): Promise<number> {
    return this.db.transaction(async (tx) => {
      const quota = await lockQuota(tx, namespace);
      if (!quota) return linkedBytes(tx, namespace);
      return (await recount(tx, quota, namespace, now)).linked;
    });
  }

  async recentUsage(namespace: string, now: number): Promise<number> {
    return this.db.transaction(async (tx) => {
      const quota = await lockQuota(tx, namespace);
      if (!quota) return linkedBytes(tx, namespace);
      if (now - quota.at < USAGE_TTL_MS) return quota.used;
      return (await recount(tx, quota, namespace, now)).figure;
    });
  }

  async reserve(
    namespace: string,
    size: number,
    limitBytes: number,
    digest: string | undefined,
    now: number,
  ): Promise<Reservation> {
    return this.db.transaction(async (tx) => {
      const quota = await lockQuota(tx, namespace);
      if (!quota) return { admitted: true, usedBytes: 0 }; // the quota went meanwhile
      if (digest !== undefined) {
        const again = await tx.execute(sql`update quota_reservations set reserved_at = ${now}
          where namespace_id = ${quota.namespaceId} and digest = ${digest}
            and reserved_at > ${now - RESERVATION_MS} returning size`);
        if (again.rows.length > 0) return { admitted: true, usedBytes: quota.used }; // let in already
      }
      let used = quota.used;
      if (now - quota.at >= USAGE_TTL_MS || (limitBytes > 0 && used + size > limitBytes)) {
        used = (await recount(tx, quota, namespace, now)).figure; // never refuse on a stale figure
      }
      const admitted = limitBytes === 0 || used + size <= limitBytes;
      if (admitted && digest !== undefined) {
        await tx
          .update(namespaceQuotas)
          .set({ usedBytes: used + size })
          .where(eq(namespaceQuotas.namespaceId, quota.namespaceId));
        await tx.execute(sql`insert into quota_reservations (namespace_id, digest, size, reserved_at)
          values (${quota.namespaceId}, ${digest}, ${size}, ${now})
          on conflict (namespace_id, digest) do update set size = excluded.size, reserved_at = excluded.reserved_at`);
      }
      return { admitted, usedBytes: used };
    });
  }

  async namespaceId(namespace: string): Promise<number | undefined> {
    const [ns] = await this.db
      .select({ id: namespaces.id })
      .from(namespaces)
      .where(eq(namespaces.name, namespace));
    return ns?.id;
  }

  async setQuota(
    namespaceId: number,
    limitBytes: number,
    warnBytes: number,
    at: number,
  ): Promise<void> {
    const values = { limitBytes, warnBytes, warned: false, updatedAt: at };
    await this.db
      .insert(namespaceQuotas)
      .values({ namespaceId, ...values })
      .onConflictDoUpdate({ target: namespaceQuotas.namespaceId, set: values });
  }

  async clearQuota(namespaceId: number): Promise<void> {
    await this.db.delete(namespaceQuotas).where(eq(namespaceQuotas.namespaceId, namespaceId));
  }

  async flipWarned(namespace: string, above: boolean): Promise<boolean> {
    const flipped = await this.db
      .update(namespaceQuotas)
      .set({ warned: above })
      .where(
        and(
          eq(
            namespaceQuotas.namespaceId,
            sql`(select ${namespaces.id} from ${namespaces} where ${namespaces.name} = ${namespace})`,
          ),
          eq(namespaceQuotas.warned, !above),
        ),
      )
      .returning({ id: namespaceQuotas.namespaceId });
    return flipped.length > 0;
  }

  async everyNamespace(): Promise<QuotaListing[]> {
    const rows = await this.db
      .select({
        namespace: namespaces.name,
        limitBytes: namespaceQuotas.limitBytes,
        warnBytes: namespaceQuotas.warnBytes,
      })
      .from(namespaces)
      .leftJoin(namespaceQuotas, eq(namespaces.id, namespaceQuotas.namespaceId));
    return rows.map((q) => ({
      namespace: q.namespace,
      limitBytes: q.limitBytes ?? 0,
      warnBytes: q.warnBytes ?? 0,
    }));
  }

  async withQuotas(): Promise<QuotaListing[]> {
    return this.db
      .select({
        namespace: namespaces.name,
        limitBytes: namespaceQuotas.limitBytes,
        warnBytes: namespaceQuotas.warnBytes,
      })
      .from(namespaceQuotas)
      .innerJoin(namespaces, eq(namespaces.id, namespaceQuotas.namespaceId));
  }
}
