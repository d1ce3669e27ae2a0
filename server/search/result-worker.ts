/**
 * Uncached results computed on the search worker (term-worker.ts), so filtering, counting and
 * ordering up to 100,000 matches never holds the event loop, which then only reads the page's
 * items. The worker keeps its own doc table, of the content version and statistics time the
 * service asks for: the same apps in the same slots (id order) and the same boosts (computed
 * at the service's `statsAt`), so the result is the one the service would have computed. When
 * the worker's snapshot is of another content version it says so, and the service computes.
 */
import type Database from 'better-sqlite3';
import { DocTable, type Filters } from './doc-table.js';
import type { TermQuery } from './fts-query.js';
import type { Sort } from './ranking.js';
import { computeResult, hitsOf, Scratch, type Result } from './result-compute.js';
import { read, type SearchReader, type Step } from './search-repository.js';
import { SqliteSearchRepository } from './search-sqlite.js';
import type { RawTermHits } from './term-fetch.js';
import { TermHitsCache } from './term-hits.js';

/** What the service asks of the worker: a plan, at its doc table's version and statistics time. */
export interface ComputeRequest {
  terms: string[];
  sort: Sort;
  filters: Filters;
  key: string;
  need: number;
  version: number;
  statsAt: number;
  /** Keep term hits across requests (the service's `cache`). */
  cache: boolean;
}

export class ResultWorker {
  private readonly reader: SqliteSearchRepository;
  private table: DocTable | undefined;
  private readonly scratch = new Scratch();
  private readonly cached: TermHitsCache;
  private readonly uncached: TermHitsCache;

  /** `termHits`: the worker's own (its term index, or FTS5). */
  constructor(
    db: Database.Database,
    termHits: (q: TermQuery) => RawTermHits,
    private readonly textVersion: () => number,
  ) {
    this.reader = new SqliteSearchRepository(db, { worker: false });
    const source = { termHits: (q: TermQuery) => Promise.resolve(termHits(q)) };
    this.cached = new TermHitsCache(source, true);
    this.uncached = new TermHitsCache(source, false);
  }

  /** The result, or undefined when the worker's snapshot is of another content version. */
  async compute(request: ComputeRequest): Promise<Result | undefined> {
    const cache = request.cache ? this.cached : this.uncached;
    const hits =
      request.terms.length > 0 ? await hitsOf(request.terms, this.textVersion(), cache) : undefined;
    return this.reader.snapshot((r) => this.computed(r, request, hits));
  }

  private *computed(
    r: SearchReader,
    request: ComputeRequest,
    hits: Awaited<ReturnType<typeof hitsOf>>,
  ): Step<Result | undefined> {
    if ((yield* read(r.contentVersion())) !== request.version) return undefined;
    let table = this.table;
    if (table?.version !== request.version) {
      this.table = undefined; // the old one's arrays go before the new one's are read
      table = yield* DocTable.load(r, request.version, request.statsAt);
      this.table = table;
    } else if (table.statsAt !== request.statsAt) {
      yield* table.refreshStats(r, request.statsAt);
    }
    return computeResult(table, hits, request, this.scratch);
  }
}
