import { expect } from 'chai';
import { sql } from 'drizzle-orm';
import { describeDialects } from '../helpers/dialects.js';
import { ADMIN_KEY } from '../helpers/server.js';
import { names, search } from './search-fixtures.js';
import { startSearchServer, type SearchServer } from './search-server.js';

describeDialects('search: what is on the shelf, kept in step', ({ dialect }) => {
  let srv: SearchServer;
  before(async () => {
    srv = await startSearchServer(dialect);
    await srv.insertUser('beta', 'Beta Labs');
    await srv.insert({
      namespace: 'beta',
      name: 'shelved',
      summary: 'otter tool',
      tags: ['otter'],
    });
    await srv.insert({
      namespace: 'beta',
      name: 'unlisted',
      summary: 'otter tool',
      tags: ['otter'],
      listed: false,
    });
    await srv.insert({
      namespace: 'beta',
      name: 'unpackaged',
      summary: 'otter tool',
      tags: ['otter'],
      packaged: false,
    });
    await srv.insert({
      namespace: 'admin',
      name: 'own-draft',
      summary: 'otter tool',
      listed: false,
      packaged: false,
    });
  });
  after(() => srv.close());

  it('shows anonymous visitors only listed apps with a package', async () => {
    const r = await search(srv.url, { q: 'otter' });
    expect([names(r), r.body.total]).to.deep.equal([['shelved'], 1]);
    expect(r.body.facets.tags).to.deep.equal([{ value: 'otter', count: 1 }]);
    const all = await search(srv.url, {});
    expect(names(all)).to.deep.equal(['shelved']);
  });

  it("shows a signed-in user the shelf and their own apps, never others' unlisted ones", async () => {
    const r = await search(srv.url, { q: 'otter', sort: 'name' }, ADMIN_KEY);
    expect(names(r)).to.deep.equal(['own-draft', 'shelved']);
  });

  it('answers 401 for an unknown key', async () => {
    const r = await search(srv.url, { q: 'otter' }, 'ask_nope');
    expect([r.status, r.body.error?.code]).to.deep.equal([401, 'unauthorized']);
  });

  it("finds an app by its publisher's display name, and follows its changes", async () => {
    expect(names(await search(srv.url, { q: 'labs' }))).to.deep.equal(['shelved']);
    await srv.run(sql`UPDATE users SET display_name = 'Gamma Works' WHERE name = 'beta'`);
    expect((await search(srv.url, { q: 'labs' })).body.total).to.equal(0);
    expect(names(await search(srv.url, { q: 'gamma works' }))).to.deep.equal(['shelved']);
  });

  it('reflects edits of the texts and tags', async () => {
    const id = await srv.insert({ name: 'editable', summary: 'pelican feeder', tags: ['birds'] });
    expect(names(await search(srv.url, { q: 'pelican' }))).to.deep.equal(['editable']);
    await srv.run(
      sql`UPDATE apps SET summary = 'heron feeder', tags = '["fish"]', categories = '["water"]' WHERE id = ${id}`,
    );
    expect((await search(srv.url, { q: 'pelican' })).body.total).to.equal(0);
    expect(names(await search(srv.url, { q: 'heron' }))).to.deep.equal(['editable']);
    expect((await search(srv.url, { tag: 'birds' })).body.total).to.equal(0);
    expect(names(await search(srv.url, { tag: 'fish' }))).to.deep.equal(['editable']);
    expect(names(await search(srv.url, { category: 'water' }))).to.deep.equal(['editable']);
  });

  it('survives tags that are not a JSON array', async () => {
    const id = await srv.insert({ name: 'odd-tags', summary: 'walrus' });
    await srv.run(sql`UPDATE apps SET tags = 'not json', categories = '{"a":1}' WHERE id = ${id}`);
    const r = await search(srv.url, { q: 'walrus' });
    expect([r.status, names(r), r.body.items[0]?.tags]).to.deep.equal([200, ['odd-tags'], []]);
  });

  it('drops an app taken off the shelf, and brings it back', async () => {
    const id = await srv.insert({ name: 'flighty', summary: 'albatross' });
    await srv.run(sql`UPDATE apps SET listed = false WHERE id = ${id}`);
    expect((await search(srv.url, { q: 'albatross' })).body.total).to.equal(0);
    await srv.run(sql`UPDATE apps SET listed = true WHERE id = ${id}`);
    expect((await search(srv.url, { q: 'albatross' })).body.total).to.equal(1);
    await srv.run(sql`DELETE FROM packages WHERE app_id = ${id}`);
    expect((await search(srv.url, { q: 'albatross' })).body.total).to.equal(0);
  });

  it('forgets a deleted app', async () => {
    const id = await srv.insert({ name: 'doomed', summary: 'dodo', installs: 3 });
    expect((await search(srv.url, { q: 'dodo' })).body.total).to.equal(1);
    await srv.run(sql`DELETE FROM apps WHERE id = ${id}`);
    const r = await search(srv.url, { q: 'dodo' });
    expect([r.body.total, r.body.facets.publishers]).to.deep.equal([0, []]);
  });

  it('follows the statistics: installs and visits', async () => {
    const id = await srv.insert({ name: 'counted', summary: 'puffin', installs: 2, visits: 5 });
    await srv.run(
      sql`INSERT INTO app_stats_daily (app_id, day, installs, visits) VALUES (${id}, '2024-01-02', 1, 1)`,
    );
    await srv.run(
      sql`UPDATE app_stats_daily SET installs = 4 WHERE app_id = ${id} AND day = '2024-01-01'`,
    );
    const item = (await search(srv.url, { q: 'puffin' })).body.items[0];
    expect([item?.installs, item?.visits]).to.deep.equal([5, 6]);
  });

  it('describes each item', async () => {
    const updatedAt = Date.UTC(2024, 4, 1);
    await srv.insert({
      name: 'described',
      displayName: 'Described App',
      summary: 'kiwi',
      tags: ['a', 'b'],
      logo: true,
      updatedAt,
      versions: [
        { version: '1.2.0' },
        { version: '1.10.0' },
        { version: 'nightly' },
        { version: '1.9.9' },
      ],
    });
    const item = (await search(srv.url, { q: 'kiwi' })).body.items[0];
    expect(item).to.deep.equal({
      namespace: 'acme',
      name: 'described',
      displayName: 'Described App',
      summary: 'kiwi',
      tags: ['a', 'b'],
      logo: '/api/v1/apps/acme/described/logo',
      latestVersion: '1.10.0',
      installs: 0,
      visits: 0,
      updatedAt: new Date(updatedAt).toISOString(),
    });
  });
});
