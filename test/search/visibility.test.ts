import { expect } from 'chai';
import { and, eq } from 'drizzle-orm';
import { apps, appStatsDaily, packages } from '../../server/db/store-schema.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { insertApp, insertUser, names, renameUser, search } from './search-fixtures.js';

describe('search: what is on the shelf, kept in step', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer();
    const db = srv.app.db;
    insertUser(db, 'beta', 'Beta Labs');
    insertApp(db, { namespace: 'beta', name: 'shelved', summary: 'otter tool', tags: ['otter'] });
    insertApp(db, {
      namespace: 'beta',
      name: 'unlisted',
      summary: 'otter tool',
      tags: ['otter'],
      listed: false,
    });
    insertApp(db, {
      namespace: 'beta',
      name: 'unpackaged',
      summary: 'otter tool',
      tags: ['otter'],
      packaged: false,
    });
    insertApp(db, {
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
    renameUser(srv.app.db, 'beta', 'Gamma Works');
    expect((await search(srv.url, { q: 'labs' })).body.total).to.equal(0);
    expect(names(await search(srv.url, { q: 'gamma works' }))).to.deep.equal(['shelved']);
  });

  it('reflects edits of the texts and tags', async () => {
    const db = srv.app.db;
    const id = insertApp(db, { name: 'editable', summary: 'pelican feeder', tags: ['birds'] });
    expect(names(await search(srv.url, { q: 'pelican' }))).to.deep.equal(['editable']);
    db.update(apps)
      .set({ summary: 'heron feeder', tags: '["fish"]', categories: '["water"]' })
      .where(eq(apps.id, id))
      .run();
    expect((await search(srv.url, { q: 'pelican' })).body.total).to.equal(0);
    expect(names(await search(srv.url, { q: 'heron' }))).to.deep.equal(['editable']);
    expect((await search(srv.url, { tag: 'birds' })).body.total).to.equal(0);
    expect(names(await search(srv.url, { tag: 'fish' }))).to.deep.equal(['editable']);
    expect(names(await search(srv.url, { category: 'water' }))).to.deep.equal(['editable']);
  });

  it('survives tags that are not a JSON array', async () => {
    const db = srv.app.db;
    const id = insertApp(db, { name: 'odd-tags', summary: 'walrus' });
    db.update(apps).set({ tags: 'not json', categories: '{"a":1}' }).where(eq(apps.id, id)).run();
    const r = await search(srv.url, { q: 'walrus' });
    expect([r.status, names(r), r.body.items[0]?.tags]).to.deep.equal([200, ['odd-tags'], []]);
  });

  it('drops an app taken off the shelf, and brings it back', async () => {
    const db = srv.app.db;
    const id = insertApp(db, { name: 'flighty', summary: 'albatross' });
    db.update(apps).set({ listed: false }).where(eq(apps.id, id)).run();
    expect((await search(srv.url, { q: 'albatross' })).body.total).to.equal(0);
    db.update(apps).set({ listed: true }).where(eq(apps.id, id)).run();
    expect((await search(srv.url, { q: 'albatross' })).body.total).to.equal(1);
    db.delete(packages).where(eq(packages.appId, id)).run();
    expect((await search(srv.url, { q: 'albatross' })).body.total).to.equal(0);
  });

  it('forgets a deleted app', async () => {
    const db = srv.app.db;
    const id = insertApp(db, { name: 'doomed', summary: 'dodo', installs: 3 });
    expect((await search(srv.url, { q: 'dodo' })).body.total).to.equal(1);
    db.delete(apps).where(eq(apps.id, id)).run();
    const r = await search(srv.url, { q: 'dodo' });
    expect([r.body.total, r.body.facets.publishers]).to.deep.equal([0, []]);
  });

  it('follows the statistics: installs and visits', async () => {
    const db = srv.app.db;
    const id = insertApp(db, { name: 'counted', summary: 'puffin', installs: 2, visits: 5 });
    db.insert(appStatsDaily).values({ appId: id, day: '2024-01-02', installs: 1, visits: 1 }).run();
    db.update(appStatsDaily)
      .set({ installs: 4 })
      .where(and(eq(appStatsDaily.appId, id), eq(appStatsDaily.day, '2024-01-01')))
      .run();
    const item = (await search(srv.url, { q: 'puffin' })).body.items[0];
    expect([item?.installs, item?.visits]).to.deep.equal([5, 6]);
  });

  it('describes each item', async () => {
    const db = srv.app.db;
    const updatedAt = Date.UTC(2024, 4, 1);
    insertApp(db, {
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
