import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { ANONYMOUS } from '../../server/auth/principal.js';
import { openDatabase, type Db } from '../../server/db/open-database.js';
import { SearchService } from '../../server/search/search-service.js';
import { SqliteSearchRepository } from '../../server/search/search-sqlite.js';
import { insertApp } from './search-fixtures.js';

/** SQLite only: PostgreSQL has no term index (its GIN index answers every term). */
describe('search: a change shows at the next search while the term index rebuilds', () => {
  let data: string;
  let sqlite: Database.Database;
  let db: Db;
  let repository: SqliteSearchRepository;
  let service: SearchService;
  before(async () => {
    data = await mkdtemp(join(tmpdir(), 'appshelf-term-index-'));
    ({ sqlite, db } = openDatabase(data));
    insertApp(db, { name: 'harbor', summary: 'container registry', introduction: 'images' });
    insertApp(db, { name: 'gitea', summary: 'git service', introduction: 'code review' });
    repository = new SqliteSearchRepository(sqlite);
    service = new SearchService({ repository, clock: Date.now });
  });
  after(async () => {
    await service.close();
    sqlite.close();
    await rm(data, { recursive: true, force: true });
  });

  const find = async (q: string): Promise<string[]> => {
    const result = await service.search(ANONYMOUS, {
      q,
      tags: [],
      categories: [],
      page: 1,
      pageSize: 20,
    });
    return result.items.map((i) => i.name);
  };
  const textVersion = (): number =>
    sqlite.prepare<[], number>('SELECT text_version FROM search_meta').pluck().get()!;

  it('answers from FTS5 until the index is built, then from the index, alike', async () => {
    expect(await find('registry')).to.deep.equal(['harbor']);
    expect(await repository.termIndexed()).to.equal(textVersion());
    expect(await find('registry')).to.deep.equal(['harbor']);
    expect(await find('revie')).to.deep.equal(['gitea']);
  });

  it('shows a changed text and a new app at once, and again once the index is rebuilt', async () => {
    const before = await repository.termIndexed();
    sqlite.prepare("UPDATE apps SET summary = 'registry mirror' WHERE name = 'gitea'").run();
    insertApp(db, { name: 'zot', summary: 'an OCI registry' });
    expect(textVersion()).to.be.greaterThan(before!);
    // The index is of the old texts: FTS5 answers, and the rebuild starts.
    expect((await find('registry')).sort()).to.deep.equal(['gitea', 'harbor', 'zot']);
    expect(await find('git')).to.deep.equal(['gitea']);
    expect(await repository.termIndexed()).to.equal(textVersion());
    expect((await find('registry')).sort()).to.deep.equal(['gitea', 'harbor', 'zot']);
    expect(await find('mirr')).to.deep.equal(['gitea']);
  });

  it('leaves to FTS5 a term it cuts into a phrase, and finds it all the same', async () => {
    insertApp(db, { name: 'khoj', summary: 'हिन्दी खोज', introduction: 'naïve Straße' });
    await repository.termIndexed();
    // FTS5 cuts हिन्दी at its vowel signs (a phrase of three tokens): the index declines it.
    expect(await find('हिन्दी')).to.deep.equal(['khoj']);
    expect(await find('NAIVE STRASSE')).to.deep.equal([]); // unicode61 keeps ß
    expect(await find('NAÏVE straße')).to.deep.equal(['khoj']);
  });

  it('drops a deleted app at the next search', async () => {
    sqlite.prepare("DELETE FROM apps WHERE name = 'harbor'").run();
    expect((await find('registry')).sort()).to.deep.equal(['gitea', 'zot']);
    expect(await repository.termIndexed()).to.equal(textVersion());
    expect((await find('registry')).sort()).to.deep.equal(['gitea', 'zot']);
  });
});
