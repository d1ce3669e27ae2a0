import { expect } from 'chai';
import { sql, type SQL } from 'drizzle-orm';
import { termMatch, termQueries, toTerms } from '../../server/search/fts-query.js';
import { FTS_COLUMNS } from '../../server/search/term-index.js';
import { describeDialects } from '../helpers/dialects.js';
import { sqlRows } from '../helpers/store-sql.js';
import { startSearchServer, type SearchServer } from './search-server.js';

/** The triggers that keep the index in step, as `table.trigger`, on either engine (same names). */
const TRIGGERS = [
  'apps.search_apps_ad',
  'apps.search_apps_ai',
  'apps.search_apps_au_doc',
  'apps.search_apps_au_text',
  'components.search_components_ad',
  'components.search_components_ai',
  'components.search_components_au',
  'packages.search_packages_ad',
  'packages.search_packages_ai',
  'packages.search_packages_au',
  'app_stats_daily.search_stats_ad',
  'app_stats_daily.search_stats_ai',
  'app_stats_daily.search_stats_au',
  'users.search_users_ad',
  'users.search_users_ai',
  'users.search_users_au',
  'versions.search_versions_ad',
  'versions.search_versions_ad_components',
  'versions.search_versions_ai',
  'versions.search_versions_au',
];

/**
 * The search tables follow the store only through triggers. A later migration that rebuilds
 * `apps`, `users`, `packages`, `versions` or `app_stats_daily` (on SQLite, drizzle's copy, drop,
 * rename) silently drops them; this test is the alarm: recreate the triggers in that migration
 * (copy them from 0002_search.sql and 0013_search_components.sql, on PostgreSQL from
 * 0001_search.sql and 0006_search_components.sql). It also checks the text index each engine
 * matches with: FTS5's virtual table on SQLite, a GIN index of the tsvector on PostgreSQL.
 */
describeDialects('search: index schema', ({ dialect }) => {
  let srv: SearchServer;
  before(async () => {
    srv = await startSearchServer(dialect);
  });
  after(() => srv.close());

  const rows = <T extends Record<string, unknown>>(query: SQL): Promise<T[]> =>
    sqlRows<T>(srv.test.app.store, query);

  it('has every trigger that keeps the index in step', async () => {
    // PostgreSQL sorts by the database's collation, which may skip the underscores: "C" does not.
    const triggers = await rows<{ name: string; tbl_name: string }>(
      dialect === 'sqlite'
        ? sql`SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'search_%' ORDER BY name`
        : sql`SELECT t.tgname AS name, c.relname AS tbl_name FROM pg_trigger t
            JOIN pg_class c ON c.oid = t.tgrelid
            WHERE NOT t.tgisinternal AND t.tgname LIKE 'search_%' ORDER BY t.tgname COLLATE "C"`,
    );
    expect(triggers.map((r) => `${r.tbl_name}.${r.name}`)).to.deep.equal(TRIGGERS);
  });

  if (dialect === 'sqlite')
    it('matches text through an FTS5 table of every searched column', async () => {
      const [table] = await rows<{ sql: string }>(
        sql`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'search_fts'`,
      );
      expect(table?.sql).to.match(
        /USING fts5\(\s*name, display_name, summary, introduction, tags, publisher, components,/,
      );
    });
  else
    it('matches text through a GIN index of the tsvector of every searched column', async () => {
      const indexes = await rows<{ indexdef: string }>(
        sql`SELECT indexdef FROM pg_indexes WHERE tablename = 'search_fts'`,
      );
      expect(indexes.map((i) => i.indexdef)).to.include(
        'CREATE INDEX search_fts_document ON public.search_fts USING gin (document)',
      );
      const [document] = await rows<{ type: string; generated: string }>(
        sql`SELECT data_type AS type, generation_expression AS generated FROM information_schema.columns
          WHERE table_name = 'search_fts' AND column_name = 'document'`,
      );
      expect(document?.type).to.equal('tsvector');
      for (const column of FTS_COLUMNS)
        expect(document?.generated).to.contain(`appshelf_search_text(${column})`);
    });
});

describe('search: query text to FTS5 terms', () => {
  const cases: [string, string[], string[]][] = [
    ['', [], []],
    ['  "*( )', [], []],
    ['Word', ['"word"*'], ['"word"*']],
    ['wordp mysql', ['"wordp"', '"mysql"*'], ['"wordp"*', '"mysql"*']],
    [
      'name:"x" AND (yy',
      ['"name"', '"x"', '"and"', '"yy"*'],
      ['"name"*', '"x"', '"and"*', '"yy"*'],
    ],
    ['NEAR(a b, 2)', ['"near"', '"a"', '"b"', '"2"'], ['"near"*', '"a"', '"b"', '"2"']],
    ['café-au-lait', ['"café"', '"au"', '"lait"*'], ['"café"*', '"au"*', '"lait"*']],
    [
      '1 2 3 4 5 6 7 8 9 10',
      ['"1"', '"2"', '"3"', '"4"', '"5"', '"6"', '"7"', '"8"'],
      ['"1"', '"2"', '"3"', '"4"', '"5"', '"6"', '"7"', '"8"'],
    ],
  ];
  for (const [text, lastPrefix, allPrefix] of cases) {
    it(`turns ${JSON.stringify(text)} into ${lastPrefix.join(' ') || 'nothing'}`, () => {
      const terms = toTerms(text);
      const match = (all: boolean): string[] => termQueries(terms, all).map((q) => termMatch(q));
      expect([match(false), match(true)]).to.deep.equal([lastPrefix, allPrefix]);
    });
  }

  it('filters a term to a column', () => {
    expect(termMatch({ term: 'wordp', prefix: true }, 'name')).to.equal('name : "wordp"*');
  });
});
