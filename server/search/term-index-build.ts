/**
 * Builds the term index (term-index.ts) from search_fts, on the search worker's own build
 * connection, in one read transaction (so it is exactly the index of one text version), in
 * slices: the build is a generator that yields every few milliseconds, and the worker answers
 * term requests from FTS5 in between.
 *
 * What FTS5 knows is taken from FTS5: the terms and how many documents each is in (fts5vocab),
 * each document's length in tokens (search_fts_docsize, which bm25 reads). The texts are cut
 * again here (fts-tokens.ts) to know which document holds which term in which column, and how
 * often; every token must be one of FTS5's terms, every document's token count its docsize and
 * every term's document count its fts5vocab count, or the build is given up (the index would
 * not answer as FTS5 does) and FTS5 keeps answering.
 */
import type Database from 'better-sqlite3';
import type { Unicode61 } from './fts-tokens.js';
import { COLUMN_WEIGHTS } from './ranking.js';
import { TEXT_VERSION_SQL } from './search-sql.js';
import { COLUMN_BITS, FTS_COLUMNS, type TermIndexParts } from './term-index.js';

/** Slices of the build between which the worker answers requests. */
const SLICE_MS = 4;
/** Past this many (term, document) pairs (6 bytes each: ~240 MB) no index is built. */
export const MAX_POSTINGS = 40_000_000;
/** A document index must fit beside the column bits in 32 bits. */
const MAX_DOCS = 2 ** (32 - COLUMN_BITS);
const MAX_FREQ = 0xffff;
/** A token longer than this may be one FTS5 cut short (32,768 bytes); it is not looked up. */
const LONG_TOKEN = 8_192;

export type BuildOutcome = { parts: TermIndexParts } | { failed: string };

const WEIGHTS = Object.values(COLUMN_WEIGHTS);

/** The build, as slices; the outcome is its return value. */
export function* buildTermIndex(
  db: Database.Database,
  tokenizer: Unicode61,
): Generator<void, BuildOutcome> {
  const vocab = 'temp.search_fts_terms';
  db.exec(`CREATE VIRTUAL TABLE IF NOT EXISTS ${vocab} USING fts5vocab(main, search_fts, row)`);
  const columns = db
    .prepare<[string], string>('SELECT name FROM pragma_table_info(?)')
    .pluck()
    .all('search_fts');
  if (columns.join() !== FTS_COLUMNS.join())
    return { failed: `search_fts columns ${columns.join()}` };
  db.exec('BEGIN');
  try {
    let slice = performance.now();
    const pause = (): boolean => {
      if (performance.now() - slice < SLICE_MS) return false;
      slice = performance.now();
      return true;
    };
    const version = db.prepare<[], number>(TEXT_VERSION_SQL).pluck().get() ?? 0;
    const total = db.prepare<[], number>('SELECT count(*) FROM search_docs').pluck().get() ?? 0;

    const docs =
      db.prepare<[], number>('SELECT count(*) FROM search_fts_docsize').pluck().get() ?? 0;
    if (docs >= MAX_DOCS) return { failed: `${docs} documents` };
    const docIds = new Int32Array(docs);
    const docLength = new Int32Array(docs);
    let d = 0;
    for (const [id, sz] of db
      .prepare<[], [number, Buffer]>('SELECT id, sz FROM search_fts_docsize ORDER BY id')
      .raw()
      .iterate()) {
      if (d >= docs) return { failed: 'docsize moved' };
      docIds[d] = id;
      docLength[d++] = sumVarints(sz);
      if (pause()) yield;
    }

    const counted: [string, number][] = [];
    let postings = 0;
    for (const row of db
      .prepare<[], [string, number]>(`SELECT term, doc FROM ${vocab}`)
      .raw()
      .iterate()) {
      counted.push(row);
      postings += row[1];
      if (postings > MAX_POSTINGS) return { failed: `more than ${MAX_POSTINGS} postings` };
      if (pause()) yield;
    }
    counted.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const terms = counted.map(([term]) => term);
    const byTerm = new Map<string, number>();
    const start = new Int32Array(terms.length + 1);
    counted.forEach(([term, n], t) => {
      byTerm.set(term, t);
      start[t + 1] = start[t]! + n;
    });
    yield;

    const parts: TermIndexParts = {
      version,
      terms,
      start,
      postings: new Uint32Array(postings),
      freqs: new Uint16Array(postings),
      unindexed: new Set<number>(),
      docIds,
      docLength,
      total,
    };
    const filled = yield* fill(db, tokenizer, parts, byTerm, pause);
    if (typeof filled === 'string') return { failed: filled };
    return { parts };
  } finally {
    db.exec('COMMIT');
  }
}

/** Cuts every document and writes its postings; a reason when FTS5's counts disagree. */
function* fill(
  db: Database.Database,
  tokenizer: Unicode61,
  parts: TermIndexParts,
  byTerm: ReadonlyMap<string, number>,
  pause: () => boolean,
): Generator<void, string | undefined> {
  const { start, postings, freqs, docIds, docLength } = parts;
  const unindexed = parts.unindexed as Set<number>;
  const cursor = start.slice(0, -1);
  const termCount = start.length - 1;
  /** Per term, for the document being cut: 1 + its index when seen in it, its frequency, its columns. */
  const seenIn = new Int32Array(termCount);
  const freq = new Float64Array(termCount);
  const inColumns = new Uint8Array(termCount);
  const touched: number[] = [];
  let d = 0;
  const select = `SELECT rowid, ${FTS_COLUMNS.join(', ')} FROM search_fts ORDER BY rowid`;
  for (const row of db.prepare<[], unknown[]>(select).raw().iterate()) {
    if (row[0] !== docIds[d]) return `row ${String(row[0])} is not in docsize`;
    const texts = row.slice(1).map((v) => (v === null || v === undefined ? '' : String(v)));
    if (!tokenizer.learn(texts)) return 'more distinct characters than the index learns';
    let tokens = 0;
    for (let c = 0; c < texts.length; c++) {
      const weight = WEIGHTS[c]!;
      const bit = 1 << c;
      tokens += tokenizer.tokens(texts[c]!, (token) => {
        if (token.length > LONG_TOKEN) return;
        const t = byTerm.get(token);
        if (t === undefined) throw new TokenMismatch(token);
        if (seenIn[t] !== d + 1) {
          seenIn[t] = d + 1;
          freq[t] = 0;
          inColumns[t] = 0;
          touched.push(t);
        }
        freq[t] = freq[t]! + weight;
        inColumns[t] = inColumns[t]! | bit;
      });
    }
    if (tokens !== docLength[d])
      return `row ${docIds[d]}: ${tokens} tokens, docsize ${docLength[d]}`;
    for (const t of touched) {
      const at = cursor[t]!++;
      if (at >= start[t + 1]!)
        return `term ${JSON.stringify(parts.terms[t])} in more documents than FTS5 counts`;
      postings[at] = (d << COLUMN_BITS) | inColumns[t]!;
      if (freq[t]! > MAX_FREQ) unindexed.add(t);
      freqs[at] = Math.min(freq[t]!, MAX_FREQ);
    }
    touched.length = 0;
    d++;
    if (pause()) yield;
  }
  if (d !== docIds.length) return `${d} rows, docsize ${docIds.length}`;
  // A term FTS5 counts in more documents than found here is one cut short (LONG_TOKEN).
  for (let t = 0; t < termCount; t++) if (cursor[t] !== start[t + 1]) unindexed.add(t);
  return undefined;
}

/** A token FTS5 does not have: the cutting here is not FTS5's. */
export class TokenMismatch extends Error {
  constructor(readonly token: string) {
    super(`token ${JSON.stringify(token.slice(0, 80))} is not one of FTS5's terms`);
  }
}

/** The sum of a docsize blob's varints (SQLite's: 7 bits a byte, high bit set on all but the last). */
function sumVarints(blob: Uint8Array): number {
  let sum = 0;
  let value = 0;
  for (const byte of blob) {
    value = value * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) {
      sum += value;
      value = 0;
    }
  }
  return sum;
}
