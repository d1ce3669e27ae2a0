import { expect } from 'chai';
import Database from 'better-sqlite3';
import { Unicode61 } from '../../server/search/fts-tokens.js';
import { fts5Probe, unicode61Arguments } from '../../server/search/fts5-probe.js';

/** search_fts's tokenizer (migrations/0013_search_components.sql). */
const TOKENIZE = 'unicode61 remove_diacritics 2';

/** FTS5's own tokens of a text, in order (an in-memory table with the same tokenizer). */
function fts5Tokens(db: Database.Database, text: string): string[] {
  db.prepare('DELETE FROM t').run();
  db.prepare('INSERT INTO t (rowid, x) VALUES (1, ?)').run(text);
  return db
    .prepare<[], [string, number]>('SELECT term, "offset" FROM t_tokens ORDER BY "offset"')
    .raw()
    .all()
    .map(([term]) => term);
}

/** A seeded generator (Park-Miller), so a failing garbage string is the same on every run. */
function random(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 48271) % 2147483647) / 2147483647;
}

/** Ranges garbage is drawn from: scripts, marks, symbols, private use, other planes. */
const RANGES: [number, number][] = [
  [0x01, 0x7f],
  [0x80, 0x24f],
  [0x300, 0x36f],
  [0x370, 0x52f],
  [0x590, 0x6ff],
  [0x900, 0x97f],
  [0x1e00, 0x1fff],
  [0x2000, 0x2bff],
  [0x3000, 0x30ff],
  [0x4e00, 0x4e80],
  [0xac00, 0xac80],
  [0xe000, 0xe010],
  [0xfb00, 0xfb4f],
  [0xfe00, 0xfe2f],
  [0xff00, 0xffef],
  [0xfff0, 0xfffd],
  [0x10000, 0x1007f],
  [0x1d400, 0x1d4ff],
  [0x1f300, 0x1faff],
  [0xe0000, 0xe007f],
];

describe('search: the term index cuts text as FTS5 unicode61 does', () => {
  let db: Database.Database;
  let tokenizer: Unicode61;
  let probe: ReturnType<typeof fts5Probe>;
  before(() => {
    db = new Database(':memory:');
    db.exec(`CREATE VIRTUAL TABLE t USING fts5(x, tokenize = '${TOKENIZE}');
      CREATE VIRTUAL TABLE temp.t_tokens USING fts5vocab(main, t, instance);`);
    probe = fts5Probe(TOKENIZE);
    tokenizer = new Unicode61(probe);
  });
  after(() => {
    probe.close();
    db.close();
  });

  const tricky: [string, string][] = [
    ['ASCII words, case, digits', 'Hello WORLD x86_64 v1.2.3-rc1 MySQL8'],
    ['punctuation and FTS5 syntax', '"quoted" AND (NEAR) col:term *star* a-b_c/d\\e'],
    ['accents folded away', 'Café naïve résumé Ångström Øre ŁÓDŹ'],
    ['combining marks after a letter, and alone', 'e\u0301 \u0301x a\u0308\u0301b \u0301'],
    ['German, Turkish, ligatures', 'Straße İstanbul ıi ǅemal ﬁne Æsir'],
    ['Greek and Cyrillic', 'Ελληνικά ΣΊΣΥΦΟΣ Москва ЁЛКА'],
    ['CJK, kana, Hangul', '中文搜索 ひらがな カタカナ 한국어'],
    ['Devanagari and Arabic (marks that cut tokens)', 'हिन्दी खोज العَرَبِيَّة'],
    ['emoji, ZWJ, variation selectors', 'app🚀x 👩‍💻 ❤️ ok'],
    ['numbers of other kinds', 'Ⅻ ½ ² ①② ٣٤ १२'],
    ['fullwidth and math letters', 'ＡＢＣ１２３ 𝐀𝐁𝐂 𝔘𝔫𝔦'],
    ['private use, specials, tags', '\ue000a\ue001 \ufffd \u{e0041}x'],
    ['spaces of every kind', 'a\u00a0b\u2003c\u3000d\tf\ng'],
    ['a lone surrogate (written as U+FFFD)', 'ab\ud800cd x\udfffy'],
  ];
  for (const [what, text] of tricky) {
    it(`cuts ${what}`, () => {
      expect(tokenizer.tokenise(text)).to.deep.equal(fts5Tokens(db, text));
    });
  }

  it('cuts 500 garbage strings (no NUL) as FTS5 does', () => {
    const rnd = random(16);
    for (let i = 0; i < 500; i++) {
      const length = 1 + Math.floor(rnd() * 24);
      const text = Array.from({ length }, () => {
        const [lo, hi] = RANGES[Math.floor(rnd() * RANGES.length)]!;
        return String.fromCodePoint(lo + Math.floor(rnd() * (hi - lo + 1)));
      }).join('');
      expect(tokenizer.tokenise(text), JSON.stringify(text)).to.deep.equal(fts5Tokens(db, text));
    }
  });

  it('counts the tokens FTS5 counts (empty ones included)', () => {
    const text = 'a \ue000 b \u0301 c';
    const tokens: string[] = [];
    const count = tokenizer.tokens(text, (t) => tokens.push(t));
    expect(tokens).to.deep.equal(fts5Tokens(db, text));
    expect(count).to.equal(tokens.length);
  });

  it("reads search_fts's tokenizer arguments; no index for another tokenizer", () => {
    expect(
      unicode61Arguments(`CREATE VIRTUAL TABLE x USING fts5(a, tokenize = '${TOKENIZE}')`),
    ).to.equal(TOKENIZE);
    expect(unicode61Arguments('CREATE VIRTUAL TABLE x USING fts5(a, b)')).to.equal('unicode61');
    expect(
      unicode61Arguments("CREATE VIRTUAL TABLE x USING fts5(a, tokenize = 'porter unicode61')"),
    ).to.be.undefined;
    expect(unicode61Arguments(`CREATE VIRTUAL TABLE x USING fts5(a, tokenize = "trigram")`)).to.be
      .undefined;
  });
});
