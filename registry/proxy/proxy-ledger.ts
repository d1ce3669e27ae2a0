/**
 * Where the pull-through caches' bookkeeping is stored (`proxy_tags`, `proxy_content`,
 * `proxy_stats`): one interface, one implementation per engine (docs/decisions/0003). The
 * statements are written once, with `?` placeholders (numbered for PostgreSQL), in SQL both
 * engines read alike (proxy-sql.ts). Several processes may share the tables: counters are added in the
 * database (`x = x + excluded.x`), and `drop` says whether this caller removed the row, so
 * content evicted by two processes at once is let go of once.
 */
import type { Digest } from '../../schemas/oci.js';
import type { RegistryDatabase } from '../metadata/registry-metadata.js';
import { PgProxyLedger } from './proxy-ledger-pg.js';
import { SqliteProxyLedger } from './proxy-ledger-sqlite.js';

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

export interface Pulled {
  repository: string;
  digest: Digest;
  at: number;
}

export interface ProxyLedger {
  /** Every cached tag and when the upstream was last asked about it. */
  tags(): Promise<{ repository: string; tag: string; at: number }[]>;
  checkTag(repository: string, tag: string, at: number): Promise<void>;
  hold(proxy: string, content: HeldContent, at: number): Promise<void>;
  /** True when this call removed the row (not when another had). */
  drop(repository: string, digest: Digest): Promise<boolean>;
  bytes(proxy: string): Promise<number>;
  repositories(proxy: string): Promise<number>;
  /** `limit` items of `proxy`, least recently pulled first. */
  oldest(proxy: string, limit: number): Promise<HeldContent[]>;
  stats(proxy: string): Promise<ProxyCounters | undefined>;
  /** Pull times and counter increments, in one transaction. */
  write(pulled: readonly Pulled[], counters: readonly [string, ProxyCounters][]): Promise<void>;
}

export function proxyLedger(database: RegistryDatabase): ProxyLedger {
  return database.dialect === 'sqlite'
    ? new SqliteProxyLedger(database.sqlite)
    : new PgProxyLedger(database.pool);
}
