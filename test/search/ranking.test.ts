import { expect } from 'chai';
import { sql } from 'drizzle-orm';
import { describeDialects } from '../helpers/dialects.js';
import { DAY, names, search } from './search-fixtures.js';
import { startSearchServer, type SearchServer } from './search-server.js';

describeDialects('search: ranking and sorts', ({ dialect }) => {
  let srv: SearchServer;
  const now = Date.now();
  before(async () => {
    srv = await startSearchServer(dialect);
    // One word, each app holding it in a different column; the weaker the column, the more
    // installs and the fresher, so only the column weights can put them in this order.
    await srv.insert({ name: 'quokka', summary: 'an animal', updatedAt: now - 400 * DAY });
    await srv.insert({
      name: 'marsupial-display',
      displayName: 'Quokka Studio',
      installs: 10,
      updatedAt: now - 300 * DAY,
    });
    await srv.insert({
      name: 'marsupial-summary',
      summary: 'the quokka of dashboards',
      installs: 100,
      updatedAt: now - 200 * DAY,
    });
    await srv.insert({
      name: 'marsupial-intro',
      introduction: 'A long introduction. '.repeat(20) + 'It was inspired by the quokka.',
      installs: 5000,
      updatedAt: now,
    });
    // Equal text: installs and freshness decide.
    await srv.insert({ name: 'ledger-old', summary: 'ledger service', updatedAt: now - 365 * DAY });
    await srv.insert({ name: 'ledger-new', summary: 'ledger service', updatedAt: now - DAY });
    await srv.insert({
      name: 'ledger-popular',
      summary: 'ledger service',
      installs: 2000,
      updatedAt: now - 365 * DAY,
    });
  });
  after(() => srv.close());

  it('weights name over display name over summary over introduction', async () => {
    const r = await search(srv.url, { q: 'quokka' });
    expect(r.status).to.equal(200);
    expect(names(r)).to.deep.equal([
      'quokka',
      'marsupial-display',
      'marsupial-summary',
      'marsupial-intro',
    ]);
    expect(r.body.sort).to.equal('relevance');
  });

  it('blends installs and freshness into relevance among equal text matches', async () => {
    const r = await search(srv.url, { q: 'ledger service' });
    expect(names(r)).to.deep.equal(['ledger-popular', 'ledger-new', 'ledger-old']);
  });

  it('sorts by installs, most first', async () => {
    const r = await search(srv.url, { q: 'quokka', sort: 'installs' });
    expect(names(r)).to.deep.equal([
      'marsupial-intro',
      'marsupial-summary',
      'marsupial-display',
      'quokka',
    ]);
  });

  it('sorts by update time, newest first', async () => {
    const r = await search(srv.url, { q: 'ledger', sort: 'updated' });
    // ledger-old and ledger-popular share an update time: the later-created one comes first.
    expect(names(r)).to.deep.equal(['ledger-new', 'ledger-popular', 'ledger-old']);
  });

  it('sorts by display name', async () => {
    const r = await search(srv.url, { q: 'quokka', sort: 'name' });
    expect(r.body.items.map((i) => i.displayName)).to.deep.equal([
      'marsupial-intro',
      'marsupial-summary',
      'quokka',
      'Quokka Studio',
    ]);
  });

  it('lists everything by installs without text', async () => {
    const r = await search(srv.url, {});
    expect(r.body.total).to.equal(7);
    expect(r.body.sort).to.equal('installs');
    expect(names(r).slice(0, 3)).to.deep.equal([
      'marsupial-intro',
      'ledger-popular',
      'marsupial-summary',
    ]);
  });

  it('ranks by freshness and installs alone for relevance without text', async () => {
    const r = await search(srv.url, { sort: 'relevance' });
    expect(names(r)[0]).to.equal('marsupial-intro');
    expect(r.body.total).to.equal(7);
  });
});

describeDialects('search: statistics in the order', ({ dialect }) => {
  let srv: SearchServer;
  let now = Date.now();
  before(async () => {
    srv = await startSearchServer(dialect, { clock: () => now });
    await srv.insert({ name: 'kiwi-a', summary: 'kiwi', installs: 10, updatedAt: now - DAY });
    await srv.insert({ name: 'kiwi-b', summary: 'kiwi', installs: 20, updatedAt: now - DAY });
  });
  after(() => srv.close());

  it('follows new installs within 15 seconds', async () => {
    const order = async (): Promise<string[]> =>
      names(await search(srv.url, { q: 'kiwi', sort: 'installs' }));
    expect(await order()).to.deep.equal(['kiwi-b', 'kiwi-a']);
    now += 5_000;
    await srv.run(
      sql`INSERT INTO app_stats_daily (app_id, day, installs) SELECT id, '2024-01-02', 50 FROM apps WHERE name = 'kiwi-a'`,
    );
    // The counts on the items are fresh at once; the order follows at the next refresh.
    const [first] = (await search(srv.url, { q: 'kiwi', sort: 'installs' })).body.items;
    expect([first?.name, first?.installs]).to.deep.equal(['kiwi-b', 20]);
    now += 10_000;
    expect(await order()).to.deep.equal(['kiwi-a', 'kiwi-b']);
  });
});
