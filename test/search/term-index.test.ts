import { expect } from 'chai';
import Database from 'better-sqlite3';
import type { TermQuery } from '../../server/search/fts-query.js';
import { Unicode61 } from '../../server/search/fts-tokens.js';
import { fts5Probe, type Fts5Probe } from '../../server/search/fts5-probe.js';
import { BM25_MAX_HITS, TermFetch } from '../../server/search/term-fetch.js';
import { buildTermIndex, type BuildOutcome } from '../../server/search/term-index-build.js';
import { TermIndex } from '../../server/search/term-index.js';

/**
 * The search tables term-fetch.ts and the index read, alone (search_fts as the migrations make
 * it, the row count of search_docs, the text version), so thousands of documents take no time.
 */
function searchTables(): Database.Database {
  const db = new Database(':memory:');
  db.exec(`CREATE VIRTUAL TABLE search_fts USING fts5(
      name, display_name, summary, introduction, tags, publisher, components,
      tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3');
    CREATE TABLE search_docs (app_id INTEGER PRIMARY KEY);
    CREATE TABLE search_meta (id INTEGER PRIMARY KEY, version INTEGER, text_version INTEGER);
    INSERT INTO search_meta VALUES (1, 1, 1);`);
  return db;
}

type Doc = [id: number, ...texts: string[]];

function insert(db: Database.Database, docs: readonly Doc[]): void {
  const fts = db.prepare(`INSERT INTO search_fts (rowid, name, display_name, summary, introduction,
    tags, publisher, components) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
  const doc = db.prepare('INSERT INTO search_docs (app_id) VALUES (?)');
  db.transaction(() => {
    for (const [id, ...texts] of docs) {
      fts.run(id, ...Array.from({ length: 7 }, (_, i) => texts[i] ?? ''));
      doc.run(id);
    }
    db.prepare('UPDATE search_meta SET text_version = text_version + 1').run();
  })();
}

function build(db: Database.Database, tokenizer: Unicode61, probe: Fts5Probe): TermIndex {
  const steps = buildTermIndex(db, tokenizer);
  let next = steps.next();
  while (!next.done) next = steps.next();
  const outcome: BuildOutcome = next.value;
  if (!('parts' in outcome)) throw new Error(outcome.failed);
  return new TermIndex(outcome.parts, tokenizer, probe.ln);
}

/** The index's hits for each query are FTS5's, to the last bit of every score. */
function expectParity(
  db: Database.Database,
  index: TermIndex,
  queries: readonly TermQuery[],
): void {
  const fts5 = new TermFetch(db);
  for (const q of queries) {
    const expected = fts5.fetch(q);
    const got = index.hits(q);
    const what = `${q.term}${q.prefix ? '*' : ''}`;
    expect(got, what).to.not.be.undefined;
    expect(Array.from(got!.ids), what).to.deep.equal(Array.from(expected.ids));
    expect(Array.from(got!.scores), what).to.deep.equal(Array.from(expected.scores));
    expect(Array.from(got!.tiers), what).to.deep.equal(Array.from(expected.tiers));
    expect(got!.textVersion, what).to.equal(expected.textVersion);
  }
}

const both = (terms: readonly string[]): TermQuery[] =>
  terms.flatMap((term) => [
    { term, prefix: false },
    { term, prefix: true },
  ]);

describe('search: the term index answers as FTS5 does', () => {
  let probe: Fts5Probe;
  let tokenizer: Unicode61;
  before(() => {
    probe = fts5Probe('unicode61 remove_diacritics 2');
    tokenizer = new Unicode61(probe);
  });
  after(() => probe.close());

  it('scores words, prefixes and columns of a small store as bm25 does', () => {
    const db = searchTables();
    insert(db, [
      [
        1,
        'postgresql',
        'PostgreSQL',
        'relational database cluster',
        'A database. A database!',
        'database sql',
        'acme Acme Corp',
        'db docker.io/library/postgres:16',
      ],
      [
        2,
        'redis',
        'Redis',
        'in-memory key value store',
        'Café-grade caching, naïve résumé',
        'cache',
        'acme Acme Corp',
        'redis docker.io/library/redis:7',
      ],
      [
        4,
        'wordpress',
        'WordPress',
        'blog engine with a database',
        'Straße İstanbul 中文搜索 ＡＢＣ',
        'cms blog',
        'wp WordPress Foundation',
        'mysql docker.io/library/mysql:8.0',
      ],
      [
        9,
        'gitea',
        'Gitea',
        'self-hosted git service',
        'Pulls NEAR the (AND) shore; postgres or mysql',
        'git',
        'gitea',
        'db docker.io/library/postgres:16',
      ],
      [12, 'app\ue000x', 'Ⅻ ½', 'emoji 🚀 rocket', 'e\u0301cole', '', 'solo', ''],
    ]);
    const index = build(db, tokenizer, probe);
    expectParity(db, index, [
      ...both(['database', 'data', 'postgres', 'po', 'docker', 'io', 'acme', 'cafe', 'café']),
      ...both([
        'naive',
        'strasse',
        'straße',
        'istanbul',
        'abc',
        'ｂｃ',
        'xii',
        'ⅻ',
        'ecole',
        'école',
      ]),
      ...both(['appx', 'rocket', 'the', 'near', 'and', 'absent', 'zz', '16', '8', 'a', 'db']),
    ]);
    // A term FTS5 cuts into a phrase (中文搜索 is one token; "e-cole" is two) is left to FTS5.
    expect(index.hits({ term: 'e-cole', prefix: false })).to.be.undefined;
    expect(index.hits({ term: '\u0301', prefix: false })).to.be.undefined;
    expectParity(db, index, both(['中文搜索', '中文']));
  });

  it(`scores a term in more than ${BM25_MAX_HITS} documents, and a broad one, as term-fetch does`, () => {
    const db = searchTables();
    const docs: Doc[] = [];
    for (let id = 1; id <= 12_000; id++) {
      const words = [`w${id % 7}`, `k${id % 13}`, id % 2 ? 'odd' : 'even', id % 5 ? '' : 'rare'];
      if (id % 9 < 4) words.push(id % 3 ? 'most' : 'mostly'); // 5,333 apps: past BM25_MAX_HITS, not broad
      const long = id % 50 === 0 ? ' lorem ipsum dolor'.repeat(300) : '';
      docs.push([
        id,
        `app${id}`,
        `App ${id % 11}`,
        words.join(' '),
        `${words[1]} intro${long}`,
        'tag',
        'pub',
      ]);
    }
    insert(db, docs);
    const index = build(db, tokenizer, probe);
    expectParity(db, index, [
      ...both([
        'odd',
        'even',
        'w1',
        'k12',
        'rare',
        'lorem',
        'app',
        'app1',
        'app123',
        'intro',
        'tag',
      ]),
      ...both(['most', 'pub']),
      { term: 'w', prefix: true },
      { term: 'k1', prefix: true },
    ]);
  });

  it('is of the text version it was read at', () => {
    const db = searchTables();
    insert(db, [[1, 'alpha']]);
    const index = build(db, tokenizer, probe);
    insert(db, [[2, 'alpha beta']]);
    expect(index.version).to.equal(2);
    expect(new TermFetch(db).textVersion()).to.equal(3);
    expect(Array.from(index.hits({ term: 'alpha', prefix: false })!.ids)).to.deep.equal([1]);
  });

  it('gives up when the cutting here is not FTS5s (another tokenizer)', () => {
    const db = new Database(':memory:');
    db.exec(`CREATE VIRTUAL TABLE search_fts USING fts5(
        name, display_name, summary, introduction, tags, publisher, components, tokenize = 'ascii');
      CREATE TABLE search_docs (app_id INTEGER PRIMARY KEY);
      CREATE TABLE search_meta (id INTEGER PRIMARY KEY, version INTEGER, text_version INTEGER);
      INSERT INTO search_meta VALUES (1, 1, 1);`);
    insert(db, [[1, 'Ünïcode wörds', '', 'Σίσυφος']]);
    const steps = buildTermIndex(db, tokenizer);
    let next = steps.next();
    expect(() => {
      while (!next.done) next = steps.next();
      if (!('parts' in next.value)) throw new Error(next.value.failed);
    }).to.throw(/FTS5/);
  });
});
