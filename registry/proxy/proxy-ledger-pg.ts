/** The caches' bookkeeping on PostgreSQL: the same statements, numbered, on a `pg.Pool`. */
import type pg from 'pg';
import { int8AsNumber } from '../metadata/pg-module.js';
import type { Digest } from '../../schemas/oci.js';
import type { HeldContent, ProxyCounters, ProxyLedger, Pulled } from './proxy-ledger.js';
import { PROXY_SQL, type ProxyStatement } from './proxy-sql.js';

const STATEMENTS = Object.fromEntries(
  Object.entries(PROXY_SQL).map(([name, sql]) => {
    let n = 0;
    return [name, sql.replace(/\?/g, () => `$${++n}`)];
  }),
) as Record<ProxyStatement, string>;

export class PgProxyLedger implements ProxyLedger {
  constructor(private readonly pool: pg.Pool) {}

  private async rows<T>(
    name: ProxyStatement,
    values: unknown[],
    client: pg.Pool | pg.PoolClient = this.pool,
  ): Promise<{ rows: T[]; rowCount: number }> {
    const result = await client.query({ text: STATEMENTS[name], values, types: int8AsNumber() });
    return { rows: result.rows as T[], rowCount: result.rowCount ?? 0 };
  }

  async tags(): Promise<{ repository: string; tag: string; at: number }[]> {
    return (await this.rows<{ repository: string; tag: string; at: number }>('tags', [])).rows;
  }

  async checkTag(repository: string, tag: string, at: number): Promise<void> {
    await this.rows('checkTag', [repository, tag, at]);
  }

  async hold(proxy: string, content: HeldContent, at: number): Promise<void> {
    const { repository, digest, kind, size } = content;
    await this.rows('hold', [proxy, repository, digest, kind, size, at]);
  }

  async drop(repository: string, digest: Digest): Promise<boolean> {
    return (await this.rows('drop', [repository, digest])).rowCount > 0;
  }

  async bytes(proxy: string): Promise<number> {
    return (await this.rows<{ n: number }>('bytes', [proxy])).rows[0]?.n ?? 0;
  }

  async repositories(proxy: string): Promise<number> {
    return (await this.rows<{ n: number }>('repositories', [proxy])).rows[0]?.n ?? 0;
  }

  async oldest(proxy: string, limit: number): Promise<HeldContent[]> {
    return (await this.rows<HeldContent>('oldest', [proxy, limit])).rows;
  }

  async stats(proxy: string): Promise<ProxyCounters | undefined> {
    return (await this.rows<ProxyCounters>('stats', [proxy])).rows[0];
  }

  async write(
    pulled: readonly Pulled[],
    counters: readonly [string, ProxyCounters][],
  ): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      for (const p of pulled) await this.rows('touch', [p.at, p.repository, p.digest], client);
      for (const [proxy, c] of counters)
        await this.rows('addStats', [proxy, c.hits, c.misses, c.upstreamErrors], client);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }
}
