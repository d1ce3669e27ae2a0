/**
 * The bookkeeping of the pull-through caches: when each cached tag was last checked upstream,
 * what each proxy holds (size, last pull: the LRU order of maxBytes eviction) and its counters.
 * Hits only touch memory (a cache hit must stay as cheap as a local pull); what changed is
 * written out every few seconds and whenever stats or eviction need the table. The rows are in
 * the registry's database on either engine (proxy-ledger.ts); processes sharing it each know
 * the tag checks they read at start or made themselves, so another process's check is at worst
 * made again.
 */
import type { Logger } from 'pino';
import type { Digest } from '../../schemas/oci.js';
import type { RegistryDatabase } from '../metadata/registry-metadata.js';
import {
  proxyLedger,
  type HeldContent,
  type ProxyCounters,
  type ProxyLedger,
  type Pulled,
} from './proxy-ledger.js';

export type { HeldContent, ProxyCounters } from './proxy-ledger.js';

const FLUSH_MS = 5000;

export class ProxyBook {
  private readonly ledger: ProxyLedger;
  private readonly checkedAt = new Map<string, number>();
  private readonly pulled = new Map<string, Pulled>();
  private readonly counters = new Map<string, ProxyCounters>();
  private readonly timer: NodeJS.Timeout;
  private readonly loaded: Promise<void>;
  /** Tag checks being written (a close waits for them). */
  private readonly writing = new Set<Promise<void>>();

  constructor(
    database: RegistryDatabase,
    private readonly now: () => number,
    private readonly log: Logger,
  ) {
    this.ledger = proxyLedger(database);
    this.loaded = this.ledger.tags().then(
      (rows) => {
        for (const row of rows)
          if (!this.checkedAt.has(`${row.repository}:${row.tag}`))
            this.checkedAt.set(`${row.repository}:${row.tag}`, row.at);
      },
      (err: unknown) => this.log.warn({ err }, 'proxy tag checks not read'),
    );
    this.timer = setInterval(() => void this.flush().catch(this.lost), FLUSH_MS).unref();
  }

  /** When the upstream was last asked about `repository:tag` (0: never). */
  tagCheckedAt(repository: string, tag: string): number {
    return this.checkedAt.get(`${repository}:${tag}`) ?? 0;
  }

  /** Known in memory at once; written out in the background (a lost write costs a re-check). */
  tagChecked(repository: string, tag: string): void {
    const at = this.now();
    this.checkedAt.set(`${repository}:${tag}`, at);
    const write = this.ledger
      .checkTag(repository, tag, at)
      .catch(this.lost)
      .finally(() => this.writing.delete(write));
    this.writing.add(write);
  }

  /** Records content fetched from the upstream (a miss filled). */
  async held(proxy: string, content: HeldContent): Promise<void> {
    await this.ledger.hold(proxy, content, this.now());
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
  async summary(proxy: string): Promise<{ repositories: number; bytes: number } & ProxyCounters> {
    await this.flush();
    const [stats, repositories, bytes] = await Promise.all([
      this.ledger.stats(proxy),
      this.ledger.repositories(proxy),
      this.ledger.bytes(proxy),
    ]);
    return { repositories, bytes, ...(stats ?? { hits: 0, misses: 0, upstreamErrors: 0 }) };
  }

  /**
   * The least recently pulled content of `proxy` to let go of so that it holds at most
   * `maxBytes`, removed from the book (the caller unlinks it from the registry). An item
   * another process removed first is neither counted nor handed back.
   */
  async evictBeyond(proxy: string, maxBytes: number): Promise<HeldContent[]> {
    await this.flush();
    let bytes = await this.ledger.bytes(proxy);
    const evicted: HeldContent[] = [];
    while (bytes > maxBytes) {
      const batch = await this.ledger.oldest(proxy, 100);
      if (batch.length === 0) break;
      for (const item of batch) {
        if (bytes <= maxBytes) break;
        if (await this.ledger.drop(item.repository, item.digest)) evicted.push(item);
        bytes -= item.size;
      }
    }
    return evicted;
  }

  /** Writes out pulls and counters kept in memory. */
  async flush(): Promise<void> {
    // No await before the write: on SQLite it is done when flush returns (a close needs that).
    if (this.pulled.size === 0 && this.counters.size === 0) return;
    const pulled = [...this.pulled.values()];
    const counters = [...this.counters];
    this.pulled.clear();
    this.counters.clear();
    await this.ledger.write(pulled, counters);
  }

  /** Stops the timer and writes out what is left (on SQLite before it returns). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all([this.flush(), this.loaded, ...this.writing]);
  }

  private readonly lost = (err: unknown): void => {
    this.log.warn({ err }, 'proxy bookkeeping not written');
  };
}
