/**
 * FTS5's `unicode61` tokenizer, mirrored for the term index (term-index.ts), so that the index
 * cuts and folds text exactly as search_fts does. unicode61 decides per code point: a token
 * character (starts or continues a token), a diacritic that only continues one (fts5's
 * sqlite3Fts5UnicodeIsdiacritic), or a separator; and folds each token character to at most one
 * code point (case, and with remove_diacritics its accents; some fold to nothing). Those
 * per-code-point answers are not re-implemented here from Unicode tables, which differ between
 * Unicode versions: they are asked of FTS5 itself (a probe on an in-memory FTS5 table with
 * the same tokenizer arguments), once per code point ever seen, so they match the linked SQLite.
 */

/** How a code point tokenises: a separator, a token character, or one that only continues a token (a combining diacritic). */
export const CharClass = { Separator: 0, Token: 1, Continues: 2 } as const;
export type CharClass = (typeof CharClass)[keyof typeof CharClass];

export interface CharRule {
  kind: CharClass;
  /** What it folds to inside a token: one code point, or '' (dropped). */
  fold: string;
}

/** Asks FTS5 how code points tokenise (fts5-probe.ts); one answer per code point, in order. */
export type Probe = (codePoints: readonly number[]) => CharRule[];

/** At most this many code points are learnt (~50 bytes each); CJK texts use ~20,000. */
const MAX_LEARNT = 100_000;
const SEPARATOR: CharRule = { kind: CharClass.Separator, fold: '' };
/** What better-sqlite3 writes for a lone surrogate, so what FTS5 saw. */
const REPLACEMENT = 0xfffd;
/** A text of only these needs no per-character pass. */
const ASCII = /^[\x01-\x7f]*$/;
const ASCII_TOKEN = /[0-9a-z]+/g;

export class Unicode61 {
  private readonly rules = new Map<number, CharRule>();
  /** Whether ASCII letters and digits are token characters folded to lower case, nothing else in ASCII. */
  private readonly plainAscii: boolean;

  constructor(private readonly probe: Probe) {
    const ascii = Array.from({ length: 127 }, (_, i) => i + 1);
    this.store(ascii, probe(ascii));
    this.rules.set(0, SEPARATOR);
    this.plainAscii = ascii.every((cp) => {
      const c = String.fromCharCode(cp);
      const rule = this.rules.get(cp)!;
      return /[0-9A-Za-z]/.test(c)
        ? rule.kind === CharClass.Token && rule.fold === c.toLowerCase()
        : rule.kind === CharClass.Separator;
    });
  }

  /**
   * Learns, in one probe, every code point of the texts not seen before; false when that would
   * take more than MAX_LEARNT code points in all (query terms are user input: what is learnt
   * stays, so it is bounded).
   */
  learn(texts: readonly string[]): boolean {
    const unknown = new Set<number>();
    for (const text of texts) {
      if (ASCII.test(text)) continue;
      for (const ch of text) {
        const cp = codePoint(ch);
        if (!this.rules.has(cp)) unknown.add(cp);
      }
    }
    if (unknown.size === 0) return true;
    if (this.rules.size + unknown.size > MAX_LEARNT) return false;
    this.store([...unknown], this.probe([...unknown]));
    return true;
  }

  /**
   * Calls `each` with every token of `text` as FTS5 indexes it ('' for a token whose characters
   * all fold to nothing); returns how many tokens there were. Every non-ASCII code point must
   * have been learnt.
   */
  tokens(text: string, each: (token: string) => void): number {
    if (this.plainAscii && ASCII.test(text)) {
      const found = text.toLowerCase().match(ASCII_TOKEN);
      if (found) for (const token of found) each(token);
      return found?.length ?? 0;
    }
    let count = 0;
    let token: string | undefined;
    for (const ch of text) {
      const rule = this.rules.get(codePoint(ch));
      if (!rule) throw new Error(`code point ${codePoint(ch)} not learnt`);
      if (
        rule.kind === CharClass.Token ||
        (rule.kind === CharClass.Continues && token !== undefined)
      )
        token = (token ?? '') + rule.fold;
      else if (rule.kind === CharClass.Separator && token !== undefined) {
        each(token);
        count++;
        token = undefined;
      }
    }
    if (token !== undefined) {
      each(token);
      count++;
    }
    return count;
  }

  /** The tokens of a text, learning its code points first; undefined when they cannot be learnt. */
  tokenise(text: string): string[] | undefined {
    if (!this.learn([text])) return undefined;
    const out: string[] = [];
    this.tokens(text, (t) => out.push(t));
    return out;
  }

  private store(codePoints: readonly number[], rules: readonly CharRule[]): void {
    codePoints.forEach((cp, i) => this.rules.set(cp, rules[i] ?? SEPARATOR));
  }
}

function codePoint(ch: string): number {
  const cp = ch.codePointAt(0)!;
  return cp >= 0xd800 && cp <= 0xdfff ? REPLACEMENT : cp;
}
