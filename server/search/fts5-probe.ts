/**
 * Asks FTS5 how code points tokenise (fts-tokens.ts), on an in-memory FTS5 table with the
 * tokenizer arguments of search_fts. Each code point c is written as `x c x c x` and its tokens
 * read back with their offsets (fts5vocab): a separator gives three `x`; a token character
 * `x<f>x`, `<f>`, `x` (the last at offset 2, even when <f> is empty); a character that only
 * continues a token `x<f>x`, `x` (the last at offset 1), where <f> is what it folds to.
 */
import Database from 'better-sqlite3';
import { CharClass, type CharRule, type Probe } from './fts-tokens.js';

/** search_fts's `tokenize = '…'` argument; undefined when its tokenizer is not unicode61. */
export function unicode61Arguments(createSql: string): string | undefined {
  const quoted = /tokenize\s*=\s*(?:'((?:[^']|'')*)'|"((?:[^"]|"")*)")/i.exec(createSql);
  const args = quoted
    ? (quoted[1] ?? quoted[2] ?? '').replace(/''|""/g, (q) => q[0]!)
    : 'unicode61';
  return /^\s*unicode61(\s|$)/i.test(args) ? args : undefined;
}

/** What the term index asks of SQLite: how code points tokenise, and C's log (as bm25's). */
export interface Fts5Probe extends Probe {
  /**
   * The natural logarithm as SQLite's C library computes it, so idf is bm25's to the last bit
   * (V8's Math.log differs from it in the last bit for ~7% of idf arguments).
   */
  ln(x: number): number;
  close(): void;
}

/** A probe over its own in-memory database; `close` frees it. */
export function fts5Probe(tokenize: string): Fts5Probe {
  const db = new Database(':memory:');
  db.exec(
    `CREATE VIRTUAL TABLE probe USING fts5(x, tokenize = '${tokenize.replaceAll("'", "''")}');
     CREATE VIRTUAL TABLE temp.probe_tokens USING fts5vocab(main, probe, instance);`,
  );
  const insert = db.prepare<[number, string]>('INSERT INTO probe (rowid, x) VALUES (?, ?)');
  const tokens = db
    .prepare<[], [number, string, number]>('SELECT doc, term, "offset" FROM probe_tokens')
    .raw();
  const clear = db.prepare('DELETE FROM probe');
  const run = db.transaction((codePoints: readonly number[]): CharRule[] => {
    codePoints.forEach((cp, i) => {
      const c = String.fromCodePoint(cp);
      insert.run(i + 1, `x${c}x ${c} x`);
    });
    const found = codePoints.map(() => [] as [number, string][]);
    for (const [doc, term, offset] of tokens.all()) found[doc - 1]?.push([offset, term]);
    clear.run();
    return found.map((list, i) => (codePoints[i] === 0 ? separator() : rule(list)));
  });
  const probe = (codePoints: readonly number[]): CharRule[] => run(codePoints);
  const ln = lnOf(db);
  return Object.assign(probe, { ln, close: () => db.close() });
}

/** SQLite's ln() (the math functions may be left out of a build: then Math.log). */
function lnOf(db: Database.Database): (x: number) => number {
  try {
    const statement = db.prepare<[number], number>('SELECT ln(?)').pluck();
    return (x) => statement.get(x) ?? Math.log(x);
  } catch {
    return Math.log;
  }
}

function rule(found: [number, string][]): CharRule {
  found.sort(([a], [b]) => a - b);
  const first = found[0]?.[1] ?? 'x';
  const last = found[found.length - 1]?.[0];
  if (first === 'x' || first.length < 2) return separator();
  return {
    kind: last === 2 ? CharClass.Token : CharClass.Continues,
    fold: first.slice(1, -1),
  };
}

function separator(): CharRule {
  return { kind: CharClass.Separator, fold: '' };
}
