import { expect } from 'chai';
import { sql } from 'drizzle-orm';
import { termMatch, termQueries, toTerms } from '../../server/search/fts-query.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * The search tables follow the store only through triggers. A later migration that rebuilds
 * `apps`, `users`, `packages`, `versions` or `app_stats_daily` (drizzle's copy, drop, rename)
 * silently drops them; this test is the alarm: recreate the triggers in that migration (copy
 * them from 0002_search.sql and 0013_search_components.sql).
 */
describe('search: index schema', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer();
  });
  after(() => srv.close());

  it('has every trigger that keeps the index in step', () => {
    const rows = srv.app.db.all<{ name: string; tbl_name: string }>(
      sql`SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'search_%' ORDER BY name`,
    );
    expect(rows.map((r) => `${r.tbl_name}.${r.name}`)).to.deep.equal([
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
    ]);
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
