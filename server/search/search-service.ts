/**
 * Full-text search over the apps on the shelf: the engine's full-text index for the terms
 * (SQLite's FTS5, answered on the search worker from its in-memory term index of the current
 * text version, term-index.ts, or from FTS5 while that is built; or PostgreSQL's tsvector:
 * search-repository.ts; tables and triggers in the `search` migrations; term-hits.ts),
 * everything else in memory over the doc table: filters, facet counts, sorts (ranking.ts,
 * result-order.ts), pagination. Only a page's items are read from the store's rows
 * (result-items.ts).
 *
 * On PostgreSQL two concurrent searches may each load the doc table of a new content version;
 * the last one kept wins, and a table of an older version is replaced at the next search (every
 * result is tied to the version it was computed at).
 *
 * Freshness. The triggers bump a content version (search_meta) on every change that can change
 * what matches or the facets (texts, tags, listing, packages, versions, publishers, update
 * times), and the doc table, the term hits and the results are all tied to it, so such a change
 * shows at the next search, in this process or any other. Statistics do not bump it: installs
 * (and with them the relevance boosts) are re-read every STATS_TTL_MS, so the popularity part of
 * an order may lag by that much; the counts shown on items are always read fresh.
 */
import type { Principal } from '../auth/principal.js';
import { StoreError } from '../errors.js';
import { DocTable, foldCase, type Filters } from './doc-table.js';
import { toTerms } from './fts-query.js';
import { LruCache } from './lru-cache.js';
import type { Sort } from './ranking.js';
import { ResultItems } from './result-items.js';
import {
  computeResult,
  hitsOf,
  Scratch,
  type Hits,
  type Plan,
  type Result,
} from './result-compute.js';
import type { SearchReader, SearchRepository, Step } from './search-repository.js';
import { read } from './search-repository.js';
import type { SearchInput, SearchResult } from './search-types.js';
import { TermHitsCache } from './term-hits.js';

export type { FacetCount, SearchInput, SearchItem, SearchResult } from './search-types.js';

export const STATS_TTL_MS = 15_000;
export const FRESHNESS_TTL_MS = 600_000;
/** Results kept across requests (paging, repeated searches), in ordered app slots (4 bytes each). */
const CACHED_RESULT_SLOTS = 2_000_000;

export interface SearchServiceDeps {
  /** The store's search tables, on either engine (search-repository.ts). */
  repository: SearchRepository;
  clock: () => number;
  /** Keep term hits and results across searches (default true; the benchmark turns it off). */
  cache?: boolean;
  /** Told how long each search took, and whether its result was cached (for metrics). */
  onSearched?: (seconds: number, cached: boolean) => void;
}

export class SearchService {
  private table: DocTable | undefined;
  private readonly repository: SearchRepository;
  private readonly terms: TermHitsCache;
  private readonly results = new LruCache<Result>(CACHED_RESULT_SLOTS, (r) => r.ordered.length);
  private readonly items = new ResultItems();
  private readonly scratch = new Scratch();

  constructor(private readonly deps: SearchServiceDeps) {
    this.repository = deps.repository;
    this.terms = new TermHitsCache(this.repository, deps.cache !== false);
  }

  /**
   * A cached result needs no FTS5 at all; otherwise it is computed on the search worker (its
   * terms' hits there, then filtered, counted and ordered there: result-worker.ts), or, without
   * one (PostgreSQL), the terms' hits are gathered first, then filtered, counted and ordered here.
   */
  async search(actor: Principal, input: SearchInput): Promise<SearchResult> {
    const startedAt = performance.now();
    let cached = false;
    const plan = planOf(actor, input);
    try {
      // Each step is one read transaction (search-repository.ts); on SQLite it settles at once.
      const looked = this.repository.snapshot((r) => this.fromCache(r, plan, input));
      const fromCache = looked instanceof Promise ? await looked : looked;
      cached = fromCache !== undefined;
      if (fromCache) return fromCache;
      const remote = await this.remote(plan);
      if (remote) {
        const answered = this.repository.snapshot((r) => this.fromRemote(r, plan, input, remote));
        const fromRemote = answered instanceof Promise ? await answered : answered;
        if (fromRemote) return fromRemote;
      }
      const hits = plan.terms.length > 0 ? await this.hitsOf(plan.terms) : undefined;
      const computed = this.repository.snapshot((r) => this.fromHits(r, plan, input, hits));
      return computed instanceof Promise ? await computed : computed;
    } catch (err) {
      // fts-query.ts quotes every term, so this is not expected; never let it become a 500.
      if (this.repository.isQueryError(err))
        throw new StoreError('invalid', 'unsupported search text', undefined, { cause: err });
      throw err;
    } finally {
      this.deps.onSearched?.((performance.now() - startedAt) / 1000, cached);
    }
  }

  /** Whether the search worker (and its database connection) is running. */
  get workerRunning(): boolean {
    return this.repository.workerRunning;
  }

  /** Stops the worker. */
  async close(): Promise<void> {
    await this.repository.close();
  }

  private *fromCache(
    r: SearchReader,
    plan: Plan,
    input: SearchInput,
  ): Step<SearchResult | undefined> {
    const table = yield* this.docTable(r, this.deps.clock());
    const result = this.deps.cache === false ? undefined : this.results.get(plan.key);
    if (!result || result.version !== table.version || result.statsAt !== table.statsAt)
      return undefined;
    if (!result.complete && result.ordered.length < plan.need) return undefined;
    return yield* this.respond(r, table, result, plan, input);
  }

  /** The result computed on the search worker, at this doc table's version and statistics. */
  private async remote(plan: Plan): Promise<Result | undefined> {
    const { table } = this;
    if (!table || !this.repository.computeResult) return undefined;
    return this.repository.computeResult({
      ...plan,
      version: table.version,
      statsAt: table.statsAt,
      cache: this.deps.cache !== false,
    });
  }

  /** Answers with the worker's result, unless the doc table moved meanwhile (then undefined). */
  private *fromRemote(
    r: SearchReader,
    plan: Plan,
    input: SearchInput,
    result: Result,
  ): Step<SearchResult | undefined> {
    const table = yield* this.docTable(r, this.deps.clock());
    if (result.version !== table.version || result.statsAt !== table.statsAt) return undefined;
    if (this.deps.cache !== false) this.results.set(plan.key, result);
    return yield* this.respond(r, table, result, plan, input);
  }

  private *fromHits(
    r: SearchReader,
    plan: Plan,
    input: SearchInput,
    hits: Hits,
  ): Step<SearchResult> {
    const table = yield* this.docTable(r, this.deps.clock());
    const result = computeResult(table, hits, plan, this.scratch);
    if (this.deps.cache !== false) this.results.set(plan.key, result);
    return yield* this.respond(r, table, result, plan, input);
  }

  private async hitsOf(terms: string[]): Promise<Hits> {
    const version = this.repository.textVersion();
    return hitsOf(terms, version instanceof Promise ? await version : version, this.terms);
  }

  private *respond(
    r: SearchReader,
    table: DocTable,
    result: Result,
    plan: Plan,
    input: SearchInput,
  ): Step<SearchResult> {
    const offset = (input.page - 1) * input.pageSize;
    const ids = Array.from(
      result.ordered.subarray(offset, offset + input.pageSize),
      (slot) => table.appIds[slot]!,
    );
    return {
      items: yield* this.items.read(r, table, ids),
      total: result.total,
      page: input.page,
      pageSize: input.pageSize,
      sort: plan.sort,
      facets: result.facets,
    };
  }

  /**
   * The doc table of the current content version; its statistics re-read when they moved (at
   * most every STATS_TTL_MS), and at least every FRESHNESS_TTL_MS.
   */
  private *docTable(r: SearchReader, now: number): Step<DocTable> {
    const version = yield* read(r.contentVersion());
    const statsVersion = yield* read(r.statsVersion());
    let table = this.table;
    const age = now - (table?.statsAt ?? 0);
    if (table?.version !== version) {
      table = yield* DocTable.load(r, version, now);
      table.statsVersion = statsVersion;
      this.table = table;
    } else if (
      (statsVersion !== table.statsVersion && age >= STATS_TTL_MS) ||
      age >= FRESHNESS_TTL_MS
    ) {
      yield* table.refreshStats(r, now);
      table.statsVersion = statsVersion;
    }
    return table;
  }
}

function planOf(actor: Principal, input: SearchInput): Plan {
  const terms = toTerms(input.q);
  const sort: Sort = input.sort ?? (terms.length > 0 ? 'relevance' : 'installs');
  const filters: Filters = {
    viewer: actor.kind === 'user' ? actor.name : undefined,
    publisher: input.publisher,
    tags: input.tags,
    categories: input.categories,
    arch: input.arch,
  };
  // Tags, categories and arch compare case-insensitively, so their case is not part of the key.
  const fold = (values: readonly string[]): string[] => values.map(foldCase).sort();
  const key = JSON.stringify([
    terms,
    sort,
    filters.viewer,
    filters.publisher,
    fold(input.tags),
    fold(input.categories),
    input.arch && foldCase(input.arch),
  ]);
  return { terms, sort, filters, key, need: input.page * input.pageSize };
}
