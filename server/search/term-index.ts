/**
 * search_fts's inverted index in memory, for one text version (built on the search worker by
 * term-index-build.ts): per term, the documents it is in, with its column-weighted frequency
 * and the columns it is in; per document, its length in tokens. From these it answers a term
 * exactly as FTS5 does (a TermSource: the same scoring rules of term-fetch.ts run over it),
 * with bm25 computed as fts5_aux.c computes it, in well under a millisecond per 10,000 hits
 * where FTS5's bm25 costs ~1 µs per hit (it reads each hit's column sizes from disk).
 *
 * It only answers what it can answer exactly: a term that FTS5 cuts into one token (a term
 * FTS5 splits into a phrase, or folds to nothing, is left to FTS5), and whose documents all
 * fit its arrays. `hits()` returns undefined for the rest, and term-worker.ts asks FTS5.
 */
import type { Unicode61 } from './fts-tokens.js';
import type { TermQuery } from './fts-query.js';
import { COLUMN_WEIGHTS, FIELD_FACTORS } from './ranking.js';
import { runSync } from './search-repository.js';
import {
  BM25_MAX_HITS,
  BROAD_COLUMNS,
  MIN_IDF,
  termHits,
  type RawTermHits,
  type TermSource,
} from './term-fetch.js';

/** search_fts's columns, in order (a column's bit in a posting is 1 << its index). */
export const FTS_COLUMNS = [
  'name',
  'display_name',
  'summary',
  'introduction',
  'tags',
  'publisher',
  'components',
] as const;
/** A posting: document index << COLUMN_BITS | the columns the term is in. */
export const COLUMN_BITS = 7;
/** FTS5's bm25 k1 and b (fts5_aux.c). */
const K1 = 1.2;
const B = 0.75;
const bitOf = (column: (typeof FTS_COLUMNS)[number]): number => 1 << FTS_COLUMNS.indexOf(column);
const NAME_BIT = bitOf('name');
const DISPLAY_BIT = bitOf('display_name');
/** term-fetch's broad-term columns, the one that counts first (its marks: the last one wins). */
const BEST_FIRST: readonly (readonly [bit: number, weight: number])[] = [
  [NAME_BIT, COLUMN_WEIGHTS.name],
  [DISPLAY_BIT, COLUMN_WEIGHTS.displayName],
  ...BROAD_COLUMNS.map(
    ([column, weight]) => [bitOf(column as (typeof FTS_COLUMNS)[number]), weight] as const,
  ).reverse(),
];
/** Longer query terms are left to FTS5 (FTS5 cuts tokens at 32,768 bytes). */
const MAX_TERM_LENGTH = 1_000;

export interface TermIndexParts {
  version: number;
  /** Terms, in JavaScript string order. */
  terms: string[];
  /** Term t's postings are start[t]..start[t + 1]. */
  start: Int32Array;
  postings: Uint32Array;
  /** Column-weighted frequency of each posting (bm25's f). */
  freqs: Uint16Array;
  /** Terms the index cannot answer (a frequency past 65,535, a token FTS5 cut short). */
  unindexed: ReadonlySet<number>;
  /** App ids by document index, ascending. */
  docIds: Int32Array;
  /** Tokens in each document, all columns (FTS5's docsize). */
  docLength: Int32Array;
  /** Rows of search_docs (the n of term-fetch's count). */
  total: number;
}

/** A term's documents, merged over the terms a prefix matches. */
interface Matches {
  docs: Int32Array;
  freqs: Float64Array;
  columns: Uint8Array;
}

export class TermIndex implements TermSource {
  readonly broadColumns = BROAD_COLUMNS;
  readonly maxScoredHits = BM25_MAX_HITS;
  readonly version: number;
  private readonly avgdl: number;
  private last: { key: string; matches: Matches } | undefined;
  private dense: { sum: Float64Array; columns: Uint8Array } | undefined;

  /** `ln`: the logarithm bm25 uses (fts5-probe.ts), so idf is bm25's to the last bit. */
  constructor(
    private readonly parts: TermIndexParts,
    private readonly tokenizer: Unicode61,
    private readonly ln: (x: number) => number = Math.log,
  ) {
    this.version = parts.version;
    let tokens = 0;
    for (const n of parts.docLength) tokens += n;
    this.avgdl = tokens / parts.docLength.length;
  }

  /** Bytes held in typed arrays (the terms' strings come on top, ~20-40 bytes each). */
  get bytes(): number {
    const p = this.parts;
    return [p.start, p.postings, p.freqs, p.docIds, p.docLength].reduce(
      (sum, a) => sum + a.byteLength,
      0,
    );
  }

  get termCount(): number {
    return this.parts.terms.length;
  }

  /**
   * The term's hits as FTS5 would give them, or undefined when only FTS5 can tell. A term scored
   * by bm25 runs term-fetch's rules over this source; a broad one (or one past BM25_MAX_HITS) is
   * scored here in one pass with the same rules: its best column, of intro, tags, components,
   * publisher, summary, display name and name, is the last of those it is in.
   */
  hits(q: TermQuery): RawTermHits | undefined {
    const matches = this.matches(q);
    if (!matches) return undefined;
    const { n, total } = this.count(q);
    const idf = Math.log((total - n + 0.5) / (n + 0.5));
    const broad = n > 0 && idf <= 0;
    if (!broad && n <= this.maxScoredHits) return runSync(termHits(this, q));
    // A term in one column once, of average length: bm25 = idf × w(k1 + 1) / (w + k1).
    const score = (weight: number): number =>
      broad ? MIN_IDF * weight : (idf * weight * (K1 + 1)) / (weight + K1);
    // Score and tier depend only on the columns a document has the term in: 128 cases.
    const byColumns = new Float64Array(1 << COLUMN_BITS);
    const tierOf = new Uint8Array(1 << COLUMN_BITS);
    for (let inColumns = 0; inColumns < byColumns.length; inColumns++) {
      const best = BEST_FIRST.find(([bit]) => (inColumns & bit) !== 0);
      byColumns[inColumns] = score(best?.[1] ?? COLUMN_WEIGHTS.introduction);
      tierOf[inColumns] =
        inColumns & NAME_BIT
          ? FIELD_FACTORS.name
          : inColumns & DISPLAY_BIT
            ? FIELD_FACTORS.displayName
            : 1;
    }
    const { docs, columns } = matches;
    const { docIds } = this.parts;
    const ids = new Int32Array(n);
    const scores = new Float64Array(n);
    const tiers = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      ids[i] = docIds[docs[i]!]!;
      scores[i] = byColumns[columns[i]!]!;
      tiers[i] = tierOf[columns[i]!]!;
    }
    return { textVersion: this.version, ids, scores, tiers };
  }

  textVersion(): number {
    return this.version;
  }

  count(q: TermQuery): { n: number; total: number } {
    return { n: this.matched(q).docs.length, total: this.parts.total };
  }

  ids(q: TermQuery, column?: string): Int32Array {
    const { docs, columns } = this.matched(q);
    const { docIds } = this.parts;
    if (column === undefined) return docs.map((d) => docIds[d]!);
    const bit = 1 << FTS_COLUMNS.indexOf(column as (typeof FTS_COLUMNS)[number]);
    const out = new Int32Array(docs.length);
    let n = 0;
    for (let i = 0; i < docs.length; i++) if (columns[i]! & bit) out[n++] = docIds[docs[i]!]!;
    return out.slice(0, n);
  }

  /** bm25 as fts5_aux.c computes it, with FTS5's own idf (its N is search_fts's rows). */
  scored(q: TermQuery): { ids: Int32Array; scores: Float64Array } {
    const { docs, freqs } = this.matched(q);
    const { docIds, docLength } = this.parts;
    const rows = docLength.length;
    let idf = this.ln((rows - docs.length + 0.5) / (docs.length + 0.5));
    if (idf <= 0) idf = MIN_IDF;
    const scores = new Float64Array(docs.length);
    for (let i = 0; i < docs.length; i++) {
      const f = freqs[i]!;
      const d = docLength[docs[i]!]!;
      scores[i] = idf * ((f * (K1 + 1)) / (f + K1 * (1 - B + (B * d) / this.avgdl)));
    }
    return { ids: docs.map((doc) => docIds[doc]!), scores };
  }

  private matched(q: TermQuery): Matches {
    const matches = this.matches(q);
    if (!matches) throw new Error('term not answerable from the index');
    return matches;
  }

  /** The term's documents (ascending), or undefined when only FTS5 can answer it. */
  private matches(q: TermQuery): Matches | undefined {
    const key = `${q.prefix ? '*' : '='}${q.term}`;
    if (this.last?.key === key) return this.last.matches;
    if (q.term.length > MAX_TERM_LENGTH) return undefined;
    const tokens = this.tokenizer.tokenise(q.term);
    const token = tokens?.[0];
    if (tokens?.length !== 1 || !token) return undefined;
    const terms = q.prefix ? this.prefixed(token) : [this.exact(token)];
    if (terms.some((t) => this.parts.unindexed.has(t))) return undefined;
    const matches = this.merge(terms.filter((t) => t >= 0));
    this.last = { key, matches };
    return matches;
  }

  /** The term's number, or -1 (a binary search: a Map of 100,000 terms would cost ~10 MB more). */
  private exact(token: string): number {
    const t = this.firstFrom(token);
    return this.parts.terms[t] === token ? t : -1;
  }

  /** The terms starting with `prefix` (a contiguous run of the sorted terms). */
  private prefixed(prefix: string): number[] {
    const { terms } = this.parts;
    const out: number[] = [];
    for (let t = this.firstFrom(prefix); t < terms.length && terms[t]!.startsWith(prefix); t++)
      out.push(t);
    return out;
  }

  /** The first term not before `token`. */
  private firstFrom(token: string): number {
    const { terms } = this.parts;
    let lo = 0;
    let hi = terms.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (terms[mid]! < token) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The union of the terms' postings: a document's frequencies add up, its columns join. */
  private merge(terms: readonly number[]): Matches {
    const { start, postings, freqs } = this.parts;
    const mask = (1 << COLUMN_BITS) - 1;
    if (terms.length === 1) {
      const t = terms[0]!;
      const from = start[t]!;
      const n = start[t + 1]! - from;
      const out = {
        docs: new Int32Array(n),
        freqs: new Float64Array(n),
        columns: new Uint8Array(n),
      };
      for (let i = 0; i < n; i++) {
        const p = postings[from + i]!;
        out.docs[i] = p >>> COLUMN_BITS;
        out.columns[i] = p & mask;
        out.freqs[i] = freqs[from + i]!;
      }
      return out;
    }
    // Dense per-document arrays, kept between merges and left zeroed: a prefix's terms in
    // 100,000 documents merge in a pass over their postings and one over the documents.
    const rows = this.parts.docLength.length;
    const { sum, columns } = (this.dense ??= {
      sum: new Float64Array(rows),
      columns: new Uint8Array(rows),
    });
    let n = 0;
    let lo = rows;
    let hi = -1;
    for (const t of terms) {
      for (let k = start[t]!; k < start[t + 1]!; k++) {
        const p = postings[k]!;
        const doc = p >>> COLUMN_BITS;
        // Every posting has at least one column bit: a document is new while its columns are 0.
        if (columns[doc] === 0) {
          n++;
          if (doc < lo) lo = doc;
          if (doc > hi) hi = doc;
        }
        sum[doc] = sum[doc]! + freqs[k]!;
        columns[doc] = columns[doc]! | (p & mask);
      }
    }
    const out = { docs: new Int32Array(n), freqs: new Float64Array(n), columns: new Uint8Array(n) };
    let i = 0;
    for (let doc = lo; doc <= hi; doc++) {
      if (columns[doc] === 0) continue;
      out.docs[i] = doc;
      out.freqs[i] = sum[doc]!;
      out.columns[i++] = columns[doc]!;
      sum[doc] = 0;
      columns[doc] = 0;
    }
    return out;
  }
}
