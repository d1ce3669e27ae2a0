/**
 * The store's own figures, through prom-client: what is stored and the sync jobs (counted in the
 * database at scrape time, by `refresh`), garbage collection and search (counted as they happen,
 * which is seldom enough for prom-client), and the database's connections and size.
 */
import { statSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { GcReport, RegistryTotals } from '../../registry/index.js';
import type { SyncJobState } from '../../schemas/sync.js';

/** SQLite has no pool: each of these threads holds one connection of its own while it runs. */
export type DbConnection = 'main' | 'checkpointer' | 'search';

/** Where the figures read at scrape time come from. */
export interface StoreSources {
  totals(): RegistryTotals | Promise<RegistryTotals>;
  syncJobs(): Record<SyncJobState, number> | Promise<Record<SyncJobState, number>>;
  connections(): Record<DbConnection, boolean>;
  /** Namespaces with a quota and their usage (the quota gauges' only label values). */
  quotas?: () => { namespace: string; usedBytes: number; limitBytes: number; warnBytes: number }[];
  sqlite: Database.Database;
}

const GC_DELETED = {
  manifests: 'manifestsDeleted',
  blobs: 'blobsDeleted',
  uploads: 'uploadsDeleted',
  orphan_files: 'orphanFilesDeleted',
} as const satisfies Record<string, keyof GcReport>;

export class StoreMetrics {
  private readonly stored: Record<keyof RegistryTotals, Gauge>;
  private readonly syncJobs: Gauge<'kind' | 'state'>;
  private readonly connections: Gauge<'connection'>;
  private readonly dbSize: Gauge<'file'>;
  private readonly quotaGauges: Record<
    'usedBytes' | 'limitBytes' | 'warnBytes',
    Gauge<'namespace'>
  >;
  private readonly gcRuns: Counter<'dry_run' | 'result'>;
  private readonly gcFreed: Counter;
  private readonly gcDeleted: Counter<'kind'>;
  private readonly searchHit: Histogram.Internal<'cache'>;
  private readonly searchMiss: Histogram.Internal<'cache'>;

  constructor(
    private readonly sources: StoreSources,
    register: Registry,
  ) {
    const registers = [register];
    const gauge = (name: string, help: string): Gauge => new Gauge({ name, help, registers });
    this.stored = {
      repositories: gauge('appshelf_registry_repositories', 'Repositories in the registry.'),
      manifests: gauge('appshelf_registry_manifests', 'Manifests stored (per repository).'),
      blobs: gauge('appshelf_registry_blobs', 'Blobs stored (each digest once).'),
      blobBytes: gauge('appshelf_registry_blob_bytes', 'Bytes of the blobs stored.'),
      uploads: gauge('appshelf_registry_upload_sessions', 'Blob upload sessions open.'),
      uploadBytes: gauge(
        'appshelf_registry_upload_bytes',
        'Bytes received so far by the upload sessions open.',
      ),
    };
    this.syncJobs = new Gauge({
      name: 'appshelf_sync_jobs',
      help: 'Copy jobs by kind (image: the images of a published version) and state.',
      labelNames: ['kind', 'state'],
      registers,
    });
    this.connections = new Gauge({
      name: 'appshelf_db_connections',
      help: 'Open SQLite connections (no pool: one per thread that uses the database).',
      labelNames: ['connection'],
      registers,
    });
    // Namespaces with a quota only: the admin sets each one, so the label set stays as small as
    // the list of quotas (a gauge per namespace of a store with thousands of users would not).
    const perNamespace = (name: string, help: string): Gauge<'namespace'> =>
      new Gauge({ name, help, labelNames: ['namespace'], registers });
    this.quotaGauges = {
      usedBytes: perNamespace(
        'appshelf_namespace_used_bytes',
        'Storage a namespace with a quota uses (each blob and manifest once).',
      ),
      limitBytes: perNamespace(
        'appshelf_namespace_limit_bytes',
        "A namespace's storage quota (0: no hard limit).",
      ),
      warnBytes: perNamespace(
        'appshelf_namespace_warn_bytes',
        "A namespace's quota warning level (0: none).",
      ),
    };
    this.dbSize = new Gauge({
      name: 'appshelf_db_size_bytes',
      help: 'Size of the SQLite database file and of its write-ahead log.',
      labelNames: ['file'],
      registers,
    });
    this.gcRuns = new Counter({
      name: 'appshelf_registry_gc_runs_total',
      help: 'Garbage collection runs, by dry run and result.',
      labelNames: ['dry_run', 'result'],
      registers,
    });
    for (const dryRun of ['true', 'false'])
      for (const result of ['success', 'failure']) this.gcRuns.inc({ dry_run: dryRun, result }, 0);
    this.gcFreed = new Counter({
      name: 'appshelf_registry_gc_freed_bytes_total',
      help: 'Bytes freed by garbage collection (dry runs not counted).',
      registers,
    });
    this.gcDeleted = new Counter({
      name: 'appshelf_registry_gc_deleted_total',
      help: 'What garbage collection deleted, by kind (dry runs not counted).',
      labelNames: ['kind'],
      registers,
    });
    for (const kind of Object.keys(GC_DELETED)) this.gcDeleted.inc({ kind }, 0);
    const search = new Histogram({
      name: 'appshelf_search_duration_seconds',
      help: 'Time taken by store searches, by whether the result was cached.',
      labelNames: ['cache'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.searchHit = search.labels('hit');
    this.searchMiss = search.labels('miss');
  }

  /** Reads what is counted at scrape time: one query for the registry's totals, one for sync jobs. */
  async refresh(): Promise<void> {
    const { sources } = this;
    const totals = await sources.totals();
    for (const key of Object.keys(this.stored) as (keyof RegistryTotals)[])
      this.stored[key].set(totals[key]);
    for (const [state, n] of Object.entries(await sources.syncJobs()))
      this.syncJobs.set({ kind: 'image', state }, n);
    for (const [connection, open] of Object.entries(sources.connections()))
      this.connections.set({ connection }, open ? 1 : 0);
    if (sources.quotas) {
      for (const gauge of Object.values(this.quotaGauges)) gauge.reset(); // a removed quota goes
      for (const q of sources.quotas())
        for (const key of ['usedBytes', 'limitBytes', 'warnBytes'] as const)
          this.quotaGauges[key].set({ namespace: q.namespace }, q[key]);
    }
    const { sqlite } = sources;
    const pages = sqlite.pragma('page_count', { simple: true }) as number;
    const pageSize = sqlite.pragma('page_size', { simple: true }) as number;
    this.dbSize.set({ file: 'database' }, pages * pageSize);
    this.dbSize.set({ file: 'wal' }, fileSize(`${sqlite.name}-wal`));
  }

  gcFinished(dryRun: boolean, report: GcReport | undefined): void {
    this.gcRuns.inc({ dry_run: String(dryRun), result: report ? 'success' : 'failure' });
    if (!report || dryRun) return;
    this.gcFreed.inc(report.bytesFreed);
    for (const [kind, field] of Object.entries(GC_DELETED))
      this.gcDeleted.inc({ kind }, report[field]);
  }

  searched(seconds: number, cached: boolean): void {
    (cached ? this.searchHit : this.searchMiss).observe(seconds);
  }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0; // no write-ahead log right now
  }
}
