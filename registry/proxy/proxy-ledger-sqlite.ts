/** The caches' bookkeeping on SQLite: prepared statements, synchronous, settled promises. */
import type Database from 'better-sqlite3';
import type { Statement } from 'better-sqlite3';
import type { Digest } from '../../schemas/oci.js';
import type { HeldContent, ProxyCounters, ProxyLedger, Pulled } from './proxy-ledger.js';
import { PROXY_SQL, type ProxyStatement } from './proxy-sql.js';

export class SqliteProxyLedger implements ProxyLedger {
  private readonly s: Record<ProxyStatement, Statement>;

  constructor(private readonly db: Database.Database) {
    this.s = Object.fromEntries(
      Object.entries(PROXY_SQL).map(([name, sql]) => [name, db.prepare(sql)]),
    ) as Record<ProxyStatement, Statement>;
  }

  tags(): Promise<{ repository: string; tag: string; at: number }[]> {
    return settle(() => this.s.tags.all() as { repository: string; tag: string; at: number }[]);
  }

  checkTag(repository: string, tag: string, at: number): Promise<void> {
    return settle(() => void this.s.checkTag.run(repository, tag, at));
  }

  hold(proxy: string, content: HeldContent, at: number): Promise<void> {
    const { repository, digest, kind, size } = content;
    return settle(() => void this.s.hold.run(proxy, repository, digest, kind, size, at));
  }

  drop(repository: string, digest: Digest): Promise<boolean> {
    return settle(() => this.s.drop.run(repository, digest).changes > 0);
  }

  bytes(proxy: string): Promise<number> {
    return settle(() => (this.s.bytes.get(proxy) as { n: number }).n);
  }

  repositories(proxy: string): Promise<number> {
    return settle(() => (this.s.repositories.get(proxy) as { n: number }).n);
  }

  oldest(proxy: string, limit: number): Promise<HeldContent[]> {
    return settle(() => this.s.oldest.all(proxy, limit) as HeldContent[]);
  }

  stats(proxy: string): Promise<ProxyCounters | undefined> {
    return settle(() => this.s.stats.get(proxy) as ProxyCounters | undefined);
  }

  write(pulled: readonly Pulled[], counters: readonly [string, ProxyCounters][]): Promise<void> {
    return settle(() =>
      this.db.transaction(() => {
        for (const p of pulled) this.s.touch.run(p.at, p.repository, p.digest);
        for (const [proxy, c] of counters)
          this.s.addStats.run(proxy, c.hits, c.misses, c.upstreamErrors);
      })(),
    );
  }
}

/** Synchronous work as a settled promise (the registry imports nothing of server/). */
function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (err) {
    return Promise.reject(err as Error);
  }
}
