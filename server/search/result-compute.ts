/**
 * A search's result from its terms' hits over a doc table: filtered, facets counted, ordered.
 * The same code runs in the service (PostgreSQL, or no worker) and on the search worker
 * (result-worker.ts), whose doc table of the same content version has the same slots (apps in
 * id order), so a result computed there is read here as it is.
 */
import type { DocTable, Filters } from './doc-table.js';
import type { Sort } from './ranking.js';
import { orderMatches } from './result-order.js';
import type { SearchResult } from './search-types.js';
import { intersect, type TermHitsCache } from './term-hits.js';
import { termQueries, type TermQuery } from './fts-query.js';
import { ReusedArray } from './reused-array.js';

/** How many values each facet lists (the most frequent first). */
export const FACET_LIMIT = 20;

/** What a search asks, beyond the page: the same key for the same result. */
export interface Plan {
  terms: string[];
  sort: Sort;
  filters: Filters;
  key: string;
  /** How many ordered results the page needs. */
  need: number;
}

export type Hits = { ids: Int32Array; text: Float64Array } | undefined;

/** A search's result for one doc table state: all its matches, ordered (or the first ones, `complete` false). */
export interface Result {
  version: number;
  statsAt: number;
  total: number;
  facets: SearchResult['facets'];
  /** Slots of the doc table (apps in id order) of `version`. */
  ordered: Int32Array;
  complete: boolean;
}

/** Every term's hits, intersected; when that finds nothing, again with every term a prefix. */
export async function hitsOf(
  terms: readonly string[],
  textVersion: number,
  cache: TermHitsCache,
): Promise<Hits> {
  const gather = async (queries: TermQuery[]): Promise<Hits> =>
    intersect(await Promise.all(queries.map((q) => cache.get(q, textVersion))));
  const hits = await gather(termQueries(terms, false));
  return hits && hits.ids.length === 0 && terms.length > 1
    ? gather(termQueries(terms, true))
    : hits;
}

/** Filters, counts and orders the hits (every app without q) over the doc table. */
export function computeResult(table: DocTable, hits: Hits, plan: Plan, scratch: Scratch): Result {
  const result = {
    version: table.version,
    statsAt: table.statsAt,
    facets: { tags: [], categories: [], publishers: [], architectures: [] },
  };
  const accepts = table.accepts(plan.filters);
  if (!accepts) return { ...result, total: 0, ordered: new Int32Array(0), complete: true };
  const size = hits ? hits.ids.length : table.size;
  // Scratch arrays, reused: the matches are only read until the result is built (its order
  // and facets are copies), and allocating 100,000-slot arrays per search kept the GC busy.
  const slots = scratch.slots(size);
  let text: Float64Array | undefined;
  let n = 0;
  if (hits) {
    text = scratch.text(size);
    for (let i = 0; i < size; i++) {
      const slot = table.slotOf(hits.ids[i]!);
      if (slot < 0 || accepts[slot] !== 1) continue;
      text[n] = hits.text[i]!;
      slots[n++] = slot;
    }
  } else for (let slot = 0; slot < size; slot++) if (accepts[slot] === 1) slots[n++] = slot;
  const matched = slots.subarray(0, n);
  const ordered = orderMatches(table, plan.sort, matched, text?.subarray(0, n), plan.need);
  return {
    ...result,
    total: n,
    facets: table.facetCounts(matched, FACET_LIMIT),
    ordered,
    complete: ordered.length === n,
  };
}

/** Arrays reused from search to search (computeResult runs start to end without yielding). */
export class Scratch {
  private readonly slotArray = new ReusedArray((n) => new Int32Array(n));
  private readonly textArray = new ReusedArray((n) => new Float64Array(n));

  slots(size: number): Int32Array {
    return this.slotArray.atLeast(size);
  }

  text(size: number): Float64Array {
    return this.textArray.atLeast(size);
  }
}
