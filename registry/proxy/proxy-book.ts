/**
 * The bookkeeping of the pull-through caches: when each cached tag was last checked upstream,
 * what each proxy holds (size, last pull: the LRU order of maxBytes eviction) and its counters.
 * Hits only touch memory (a cache hit must stay as cheap as a local pull); what changed is
 * written out every few seconds and whenever stats or eviction need the table.
 */
import type { Statement } from 'better-sqlite3';
import type { Digest } from '../../schemas/oci.js';
import type { SqliteDb } from '../metadata/sqlite.js';

export interface ProxyCounters {
  hits: number;
  misses: number;
  upstreamErrors: number;
}

export interface HeldContent {
  repository: string;
  digest: Digest;
  kind: 'blob' | 'manifest';
  size: number;
}

const FLUSH_MS = 5000;

export class ProxyBook {
  private readonly s: Record<string, Statement>;
  private readonly checkedAt = new Map<string, number>();
  private readonly pulled = new Map<string, { repository: string; digest: Digest; at: number }>();
  private readonly counters = new Map<string, ProxyCounters>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly db: SqliteDb,
    private readonly now: () => number,
  ) {
    const p = (sql: string): Statement => db.prepare(sql);
    this.s = {
      tags: p('select repository, tag, checked_at as at from proxy_tags'),
      checkTag: p(
        `insert into proxy_tags (repository, tag, checked_at) values (?, ?, ?)
         on conflict (repository, tag) do update set checked_at = excluded.checked_at`,
      ),
      hold: p(
        `insert into proxy_content (proxy, repository, digest, kind, size, last_pulled_at) values (?, ?, ?, ?, ?, ?)
         on conflict (repository, digest) do update set last_pulled_at = excluded.last_pulled_at`,
      ),
      touch: p('update proxy_content set last_pulled_at = ? where repository = ? and digest = ?'),
      drop: p('delete from proxy_content where repository = ? and digest = ?'),
      bytes: p('select coalesce(sum(size), 0) as n from proxy_content where proxy = ?'),
      repositories: p('select count(distinct repository) as n from proxy_content where proxy = ?'),
      oldest: p(
        `select repository, digest, kind, size from proxy_content where proxy = ?
         order by last_pulled_at, kind desc limit ?`,
      ),
      stats: p(
        'select hits, misses, upstream_errors as upstreamErrors from proxy_stats where proxy = ?',
      ),
      addStats: p(
        `insert into proxy_stats (proxy, hits, misses, upstream_errors) values (?, ?, ?, ?)
         on conflict (proxy) do update set hits = hits + excluded.hits,
           misses = misses + excluded.misses, upstream_errors = upstream_errors + excluded.upstream_errors`,
      ),
    };
    for (const row of this.s.tags!.all() as { repository: string; tag: string; at: number }[])
      this.checkedAt.set(`${row.repository}:${row.tag}`, row.at);
    this.timer = setInterval(() => this.flush(), FLUSH_MS).unref();
  }

  /** When the upstream was last asked about `repository:tag` (0: never). */
  tagCheckedAt(repository: string, tag: string): number {
    return this.checkedAt.get(`${repository}:${tag}`) ?? 0;
  }

  tagChecked(repository: string, tag: string): void {
    const at = this.now();
    this.checkedAt.set(`${repository}:${tag}`, at);
    this.s.checkTag!.run(repository, tag, at);
  }

  /** Records content fetched from the upstream (a miss filled). */
  held(proxy: string, content: HeldContent): void {
    const { repository, digest, kind, size } = content;
    this.s.hold!.run(proxy, repository, digest, kind, size, this.now());
  }

  /** A pull of cached content: memory only, written out later. */
  touch(repository: string, digest: Digest): void {
    this.pulled.set(`${repository}@${digest}`, { repository, digest, at: this.now() });
  }

  count(proxy: string, what: keyof ProxyCounters): void {
    let c = this.counters.get(proxy);
    if (!c) this.counters.set(proxy, (c = { hits: 0, misses: 0, upstreamErrors: 0 }));
    c[what]++;
  }

  /** What `proxy` holds, and its counters so far. */
  summary(proxy: string): { repositories: number; bytes: number } & ProxyCounters {
    this.flush();
    const stats = (this.s.stats!.get(proxy) as ProxyCounters | undefined) ?? {
      hits: 0,
      misses: 0,
      upstreamErrors: 0,
    };
    return {
      repositories: (this.s.repositories!.get(proxy) as { n: number }).n,
      bytes: (this.s.bytes!.get(proxy) as { n: number }).n,
      ...stats,
    };
  }

  /**
   * The least recently pulled content of `proxy` to let go of so that it holds at most
   * `maxBytes`, removed from the book (the caller unlinks it from the registry).
   */
  evictBeyond(proxy: string, maxBytes: number): HeldContent[] {
    this.flush();
    let bytes = (this.s.bytes!.get(proxy) as { n: number }).n;
    const evicted: HeldContent[] = [];
    while (bytes > maxBytes) {
      const batch = this.s.oldest!.all(proxy, 100) as HeldContent[];
      if (batch.length === 0) break;
      for (const item of batch) {
        if (bytes <= maxBytes) break;
        this.s.drop!.run(item.repository, item.digest);
        bytes -= item.size;
        evicted.push(item);
      }
    }
    return evicted;
  }

  /** Writes out pulls and counters kept in memory. */
  flush(): void {
    if (this.pulled.size === 0 && this.counters.size === 0) return;
    const pulled = [...this.pulled.values()];
    const counters = [...this.counters];
    this.pulled.clear();
    this.counters.clear();
    this.db.transaction(() => {
      for (const p of pulled) this.s.touch!.run(p.at, p.repository, p.digest);
      for (const [proxy, c] of counters)
        this.s.addStats!.run(proxy, c.hits, c.misses, c.upstreamErrors);
    })();
  }

  close(): void {
    clearInterval(this.timer);
    this.flush();
  }
}
