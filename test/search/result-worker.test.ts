import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { openDatabase, type Db } from '../../server/db/open-database.js';
import { ResultWorker, type ComputeRequest } from '../../server/search/result-worker.js';
import { TermFetch } from '../../server/search/term-fetch.js';
import { insertApp } from './search-fixtures.js';

/** SQLite only: PostgreSQL has no search worker. */
describe('search: results computed on the search worker', () => {
  let data: string;
  let sqlite: Database.Database;
  let db: Db;
  before(async () => {
    data = await mkdtemp(join(tmpdir(), 'appshelf-result-worker-'));
    ({ sqlite, db } = openDatabase(data));
    insertApp(db, { name: 'harbor', summary: 'container registry', installs: 5 });
    insertApp(db, { name: 'zot', summary: 'an OCI registry', installs: 50 });
  });
  after(async () => {
    sqlite.close();
    await rm(data, { recursive: true, force: true });
  });

  const request = (version: number, statsAt: number): ComputeRequest => ({
    terms: ['registry'],
    sort: 'installs',
    filters: { tags: [], categories: [] },
    key: 'k',
    need: 20,
    version,
    statsAt,
    cache: true,
  });

  it("answers at the service's version and statistics time, and declines another version", async () => {
    const fts5 = new TermFetch(sqlite);
    const worker = new ResultWorker(
      sqlite,
      (q) => fts5.fetch(q),
      () => fts5.textVersion(),
    );
    const version = sqlite.prepare<[], number>('SELECT version FROM search_meta').pluck().get()!;
    const result = await worker.compute(request(version, 1_000));
    expect(result).to.include({ version, statsAt: 1_000, total: 2, complete: true });
    expect(result!.facets.publishers).to.deep.equal([{ value: 'acme', count: 2 }]);
    const again = await worker.compute(request(version, 2_000));
    expect(again!.statsAt).to.equal(2_000);
    expect(await worker.compute(request(version - 1, 2_000))).to.be.undefined;
  });
});
