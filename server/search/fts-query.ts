/**
 * Turns what a user typed into FTS5 MATCH expressions that can never be a syntax error.
 *
 * The input is cut into terms the way the `unicode61` tokenizer cuts text (runs of letters,
 * marks and digits; everything else separates), and each term is written as an FTS5 string
 * (`"term"`), so operators, quotes, parentheses, `NEAR`, `AND`, `*` and column filters typed by
 * the user are just separators or plain words. A query matches the apps that match every term;
 * the service runs each term on its own (term-hits.ts) and intersects.
 *
 * Prefix matching: the last term is a prefix (`"wordp"*`), as the user may still be typing it.
 * When that finds nothing, the service retries with every term as a prefix, which finds
 * abbreviated earlier terms ("postg cluster" → "PostgreSQL cluster") without widening the
 * common case. A one-character term is never a prefix: it would match most of the store and
 * merge the doclists of hundreds of words, for no useful ranking.
 */

/** At most this many terms are used; more only slow the query down and rarely match. */
export const MAX_TERMS = 8;
export const MIN_PREFIX_LENGTH = 2;

const TERM = /[\p{L}\p{M}\p{N}]+/gu;

/** One term of a query, and whether it matches as a prefix. */
export interface TermQuery {
  term: string;
  prefix: boolean;
}

/** The searchable terms of a text (lowercased); empty when it holds none. */
export function toTerms(text: string): string[] {
  return (text.toLowerCase().match(TERM) ?? []).slice(0, MAX_TERMS);
}

/** The terms as matched: the last (or, with `allPrefix`, every) term of 2+ characters is a prefix. */
export function termQueries(terms: readonly string[], allPrefix: boolean): TermQuery[] {
  const last = terms.length - 1;
  return terms.map((term, i) => ({
    term,
    prefix: (allPrefix || i === last) && [...term].length >= MIN_PREFIX_LENGTH,
  }));
}

/** The MATCH expression of one term, optionally filtered to one column: `"wordp"*`, `name : "wordp"*`. */
export function termMatch(q: TermQuery, column?: string): string {
  const phrase = `"${q.term.replaceAll('"', '""')}"${q.prefix ? '*' : ''}`;
  return column === undefined ? phrase : `${column} : ${phrase}`;
}
