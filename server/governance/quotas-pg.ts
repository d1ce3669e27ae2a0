/**
 * Quotas on PostgreSQL. The figure checks go by is shared by every process: the quota row's
 * `used_bytes` (the usage counted at `counted_at`, plus what checks let in since). A check reads
 * it, counts again when it is stale or would refuse, and adds what it lets in, all under the quota
 * row's lock (`FOR UPDATE`): checks of one namespace take turns cluster-wide, and the second of two
 * pushes racing for the last bytes of room sees the first's bytes. One window stays: a recount
 * (stale figure, or one that would refuse) sees only bytes already linked, so a push let in but
 * not yet linked is not in it.
 */
import { and, eq, sql, type SQL } from 'drizzle-orm';
import { namespaces } from '../db/schema.pg.js';
import type { PgDb } from '../db/store-database.js';
import { namespaceQuotas } from '../db/store-schema.pg.js';
import {
  USAGE_TTL_MS,
  type QuotaListing,
  type QuotaRepository,
  type QuotaRow,
  type Reservation,
} from './quota-repository.js';
import { rangeOf } from './quotas-sqlite.js';

type Executor = Pick<PgDb, 'execute'>;

/** Bytes the namespace's repositories hold, each blob and manifest once; `COLLATE "C"`: byte order, as SQLite's. */
function usedQuery(namespace: string): SQL {
  const { lo, hi } = rangeOf(namespace);
  return sql`select (select coalesce(sum(size), 0) from blobs where digest in
                (select digest from repository_blobs
                  where repository collate "C" >= ${lo} and repository collate "C" < ${hi}))
            + (select coalesce(sum(size), 0) from
                (select distinct digest, size from manifests
                  where repository collate "C" >= ${lo} and repository collate "C" < ${hi}) m)
         as used`;
}

async function countNow(db: Executor, namespace: string): Promise<number> {
  const result = await db.execute<{ used: string }>(usedQuery(namespace));
  return Number(result.rows[0]?.used ?? 0);
}

/** Keeps `used` as the namespace's figure (counted at `at` when given). */
async function keep(db: Executor, namespace: string, used: number, at?: number): Promise<void> {
  await db.execute(sql`update namespace_quotas set used_bytes = ${used}
      ${at === undefined ? sql`` : sql`, counted_at = ${at}`}
    where namespace_id = (select id from namespaces where name = ${namespace})`);
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
    const { lo, hi } = rangeOf(namespace);
    const table = kind === 'blob' ? sql`repository_blobs` : sql`manifests`;
    const result = await this.db.execute(sql`select 1 from ${table} where digest = ${digest}
        and repository collate "C" >= ${lo} and repository collate "C" < ${hi} limit 1`);
    return result.rows.length > 0;
  }

  async count(namespace: string, now: number): Promise<number> {
    const used = await countNow(this.db, namespace);
    await keep(this.db, namespace, used, now);
    return used;
  }

  async recentUsage(namespace: string, now: number): Promise<number> {
    const [row] = await this.db
      .select({ used: namespaceQuotas.usedBytes, at: namespaceQuotas.countedAt })
      .from(namespaceQuotas)
      .innerJoin(namespaces, eq(namespaces.id, namespaceQuotas.namespaceId))
      .where(eq(namespaces.name, namespace));
    if (row && now - row.at < USAGE_TTL_MS) return row.used;
    return this.count(namespace, now);
  }

  async reserve(
    namespace: string,
    size: number,
    limitBytes: number,
    add: boolean,
    now: number,
  ): Promise<Reservation> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx
        .select({ used: namespaceQuotas.usedBytes, at: namespaceQuotas.countedAt })
        .from(namespaceQuotas)
        .innerJoin(namespaces, eq(namespaces.id, namespaceQuotas.namespaceId))
        .where(eq(namespaces.name, namespace))
        .for('update', { of: namespaceQuotas });
      if (!row) return { admitted: true, usedBytes: 0 }; // the quota went meanwhile
      let used = row.used;
      let countedAt: number | undefined;
      const recount = async () => {
        used = await countNow(tx, namespace);
        countedAt = now;
      };
      if (now - row.at >= USAGE_TTL_MS) await recount();
      if (limitBytes > 0 && used + size > limitBytes && countedAt === undefined) await recount();
      const admitted = limitBytes === 0 || used + size <= limitBytes;
      // Counted before it is stored: should storing fail, the figure is high until recounted.
      if (admitted && add) used += size;
      if (used !== row.used || countedAt !== undefined) await keep(tx, namespace, used, countedAt);
      return { admitted, usedBytes: admitted && add ? used - size : used };
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
