/**
 * Reads one term's hits from FTS5: the apps it matches (ascending ids), its text score in each
 * (−bm25 with the column weights) and the best column it matched in (the field tier, ranking.ts).
 * Synchronous, on any connection: the search worker runs it on its own (term-worker.ts) while
 * its term index is not of the current text version (term-index.ts runs the same rules, termHits,
 * over its own arrays), the service on its own when there is no worker.
 *
 * Broad terms. FTS5's bm25 gives a term that matches at least half of the apps an idf of 1e-6
 * (it clamps idf = ln((N − n + 0.5) / (n + 0.5)) when that is ≤ 0), so its score is worth
 * nothing next to any other term's, and computing it costs the most (~0.6 µs per hit, 5 ms for
 * a word found in 9,000 apps). For such a term the score is 1e-6 × the weight of the best column
 * it matches, read from a few column-filtered matches instead (~1 ms): its hits are then ordered
 * by where it matched rather than by how often. A term with more than BM25_MAX_HITS hits is
 * scored the same way, with its own idf: as bm25 would score one occurrence in that column.
 */
import type Database from 'better-sqlite3';
import { termMatch, type TermQuery } from './fts-query.js';
import { COLUMN_WEIGHTS, FIELD_FACTORS } from './ranking.js';
import { read, runSync, type MaybePromise, type Step } from './search-repository.js';
import { IDS_SQL, TERM_COUNT_SQL, TERM_HITS_SQL, TEXT_VERSION_SQL } from './search-sql.js';

export interface RawTermHits {
  /** The text version the hits were read at. */
  textVersion: number;
  /** App ids, ascending. */
  ids: Int32Array;
  scores: Float64Array;
  tiers: Uint8Array;
}

/** FTS5's floor for idf (fts5_aux.c). */
export const MIN_IDF = 1e-6;
/** FTS5's bm25 k1. */
const K1 = 1.2;

/**
 * A term matching more apps than this is scored by where it matched (its best column, with its
 * idf), not by bm25: bm25 costs ~1 µs per hit (it reads each hit's column sizes), 50-100 ms for a
 * word found in 50,000 of 100,000 apps, and the position of a word found that often tells little.
 */
export const BM25_MAX_HITS = 5_000;

/** Columns a broad term's score looks at besides the names, lowest weight first (the introduction is the floor). */
export const BROAD_COLUMNS = [
  ['tags', COLUMN_WEIGHTS.tags],
  ['components', COLUMN_WEIGHTS.components],
  ['publisher', COLUMN_WEIGHTS.publisher],
  ['summary', COLUMN_WEIGHTS.summary],
] as const;

/** Where one engine reads a term's matches (FTS5 here, PostgreSQL's tsvector in search-pg.ts). */
export interface TermSource {
  /** Columns a broad term's score looks at besides the names, lowest weight first. */
  readonly broadColumns: readonly (readonly [column: string, weight: number])[];
  /** Above this many hits a term is scored as a broad one, with its idf. */
  readonly maxScoredHits: number;
  textVersion(): MaybePromise<number>;
  /** How many apps the term matches, and how many there are (bm25's n and N). */
  count(q: TermQuery): MaybePromise<{ n: number; total: number }>;
  /** The ids (ascending) the term matches, in one column (`name`, `display_name`, …) or any. */
  ids(q: TermQuery, column?: string): MaybePromise<Int32Array>;
  /** The ids (ascending) and text scores of the term's hits, given its idf. */
  scored(q: TermQuery, idf: number): MaybePromise<{ ids: Int32Array; scores: Float64Array }>;
}

/** One term's hits: the reads of term-fetch's scoring rules, for either engine. */
export function* termHits(source: TermSource, q: TermQuery): Step<RawTermHits> {
  const textVersion = yield* read(source.textVersion());
  const { n, total } = yield* read(source.count(q));
  const idf = Math.log((total - n + 0.5) / (n + 0.5));
  const broad = n > 0 && idf <= 0;
  const named = yield* read(source.ids(q, 'name'));
  const displayed = yield* read(source.ids(q, 'display_name'));
  let ids: Int32Array;
  let scores: Float64Array;
  if (broad || n > source.maxScoredHits) {
    // A term in one column once, of average length: bm25 = idf × w(k1 + 1) / (w + k1).
    const score = (weight: number): number =>
      broad ? MIN_IDF * weight : (idf * weight * (K1 + 1)) / (weight + K1);
    ids = yield* read(source.ids(q));
    scores = new Float64Array(ids.length).fill(score(COLUMN_WEIGHTS.introduction));
    for (const [column, weight] of source.broadColumns)
      mark(ids, yield* read(source.ids(q, column)), scores, score(weight));
    mark(ids, displayed, scores, score(COLUMN_WEIGHTS.displayName));
    mark(ids, named, scores, score(COLUMN_WEIGHTS.name));
  } else {
    ({ ids, scores } = yield* read(source.scored(q, idf)));
  }
  const tiers = new Uint8Array(ids.length).fill(1);
  mark(ids, displayed, tiers, FIELD_FACTORS.displayName);
  mark(ids, named, tiers, FIELD_FACTORS.name);
  return { textVersion, ids, scores, tiers };
}

/** FTS5's term hits, synchronous, on any connection (the worker's or the service's). */
export class TermFetch implements TermSource {
  readonly broadColumns = BROAD_COLUMNS;
  readonly maxScoredHits = BM25_MAX_HITS;
  private readonly version: Database.Statement<[], number>;
  private readonly counts: Database.Statement<[string], { n: number; total: number }>;
  private readonly hits: Database.Statement<[string], { ids: string; scores: string }>;
  private readonly idsOf: Database.Statement<[string], string>;
  private readonly read: (q: TermQuery) => RawTermHits;

  constructor(db: Database.Database) {
    this.version = db.prepare<[], number>(TEXT_VERSION_SQL).pluck();
    this.counts = db.prepare(TERM_COUNT_SQL);
    this.hits = db.prepare(TERM_HITS_SQL);
    this.idsOf = db.prepare<[string], string>(IDS_SQL).pluck();
    this.read = db.transaction((q: TermQuery) => runSync(termHits(this, q)));
  }

  fetch(q: TermQuery): RawTermHits {
    return this.read(q);
  }

  textVersion(): number {
    return this.version.get() ?? 0;
  }

  count(q: TermQuery): { n: number; total: number } {
    return this.counts.get(termMatch(q)) ?? { n: 0, total: 0 };
  }

  ids(q: TermQuery, column?: string): Int32Array {
    return Int32Array.from(JSON.parse(this.idsOf.get(termMatch(q, column)) ?? '[]') as number[]);
  }

  /** −bm25 already holds the idf. */
  scored(q: TermQuery): { ids: Int32Array; scores: Float64Array } {
    const row = this.hits.get(termMatch(q));
    return {
      ids: Int32Array.from(JSON.parse(row?.ids ?? '[]') as number[]),
      scores: Float64Array.from(JSON.parse(row?.scores ?? '[]') as number[]),
    };
  }
}

/** Sets `values[i] = value` where `ids[i]` is among `subset` (both ascending). */
function mark(
  ids: Int32Array,
  subset: Int32Array,
  values: Float64Array | Uint8Array,
  value: number,
): void {
  let i = 0;
  for (const id of subset) {
    while (i < ids.length && ids[i]! < id) i++;
    if (ids[i] === id) values[i] = value;
  }
}
