/**
 * Term hits across queries. FTS5's bm25 of a query is the sum of the bm25 of its terms (each
 * term is one phrase), so a query's text score is the sum of its terms' scores times the best
 * field tier (ranking.ts), and each term is scored once per text version, whatever query it
 * comes in: scoring is what costs (about 1 µs per matching app), adding up and intersecting is
 * cheap. Concurrent searches for the same term share one fetch. (With the worker's term index a
 * term costs ~0.1-5 ms at 100,000 apps, FTS5's bm25 ~1 µs per matching app: the cache matters
 * most while the index of a new text version is being built.)
 */
import type { TermQuery } from './fts-query.js';
import { LruCache } from './lru-cache.js';
import type { RawTermHits } from './term-fetch.js';
import type { SearchRepository } from './search-repository.js';

/**
 * Hits kept across queries, in total (13 bytes each: at most ~80 MB). At 100,000 apps a common
 * word has 10,000-90,000 hits; 2,000,000 held the hits of only a few dozen words.
 */
const CACHED_HITS = 6_000_000;

export class TermHitsCache {
  private readonly cache = new LruCache<RawTermHits>(CACHED_HITS, (h) => h.ids.length);
  private readonly inFlight = new Map<string, Promise<RawTermHits>>();

  constructor(
    private readonly source: Pick<SearchRepository, 'termHits'>,
    private readonly enabled: boolean,
  ) {}

  get(q: TermQuery, textVersion: number): Promise<RawTermHits> {
    const key = `${textVersion}|${q.prefix ? '*' : '='}${q.term}`;
    const cached = this.enabled ? this.cache.get(key) : undefined;
    if (cached) return Promise.resolve(cached);
    let fetching = this.inFlight.get(key);
    if (!fetching) {
      fetching = this.source.termHits(q).then((hits) => {
        // Cached under the version it was read at, which may already be a newer one.
        if (this.enabled)
          this.cache.set(`${hits.textVersion}|${q.prefix ? '*' : '='}${q.term}`, hits);
        return hits;
      });
      const done = (): void => void this.inFlight.delete(key);
      fetching.then(done, done);
      this.inFlight.set(key, fetching);
    }
    return fetching;
  }
}

/**
 * The apps (ascending ids) every term matched, with text = (sum of the scores) × (best tier).
 * The ids may be the (cached) hits' own array: read them, never write.
 */
export function intersect(all: readonly RawTermHits[]): { ids: Int32Array; text: Float64Array } {
  const [first, ...rest] = [...all].sort((a, b) => a.ids.length - b.ids.length);
  if (!first) return { ids: new Int32Array(0), text: new Float64Array(0) };
  if (rest.length === 0) {
    const text = new Float64Array(first.ids.length);
    for (let i = 0; i < text.length; i++) text[i] = first.scores[i]! * first.tiers[i]!;
    return { ids: first.ids, text };
  }
  const ids = first.ids.slice();
  const sums = first.scores.slice();
  const tiers = first.tiers.slice();
  let size = ids.length;
  for (const other of rest) {
    let n = 0;
    let j = 0;
    for (let i = 0; i < size; i++) {
      const id = ids[i]!;
      while (j < other.ids.length && other.ids[j]! < id) j++;
      if (j === other.ids.length) break;
      if (other.ids[j] !== id) continue;
      ids[n] = id;
      sums[n] = sums[i]! + other.scores[j]!;
      tiers[n] = Math.max(tiers[i]!, other.tiers[j]!);
      n++;
    }
    size = n;
  }
  const text = new Float64Array(size);
  for (let i = 0; i < size; i++) text[i] = sums[i]! * tiers[i]!;
  return { ids: ids.subarray(0, size), text };
}
