import { expect } from 'chai';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { insertApp, names, refs, search } from './search-fixtures.js';

describe('search: filters, facets and pagination', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer();
    const db = srv.app.db;
    insertApp(db, {
      namespace: 'acme',
      name: 'blog',
      summary: 'web blog',
      tags: ['cms', 'php'],
      categories: ['web'],
    });
    insertApp(db, {
      namespace: 'acme',
      name: 'wiki',
      summary: 'web wiki',
      tags: ['CMS', 'docs'],
      categories: ['web', 'docs'],
    });
    insertApp(db, {
      namespace: 'beta',
      name: 'shop',
      summary: 'web shop',
      tags: ['cms', 'php'],
      categories: ['commerce'],
      versions: [{ version: '2.0', arch: 'arm64' }],
    });
    insertApp(db, {
      namespace: 'beta',
      name: 'db',
      summary: 'database',
      tags: ['sql'],
      versions: [
        { version: '1.0', arch: 'amd64' },
        { version: '1.1', arch: 'arm64' },
      ],
    });
    for (let i = 0; i < 25; i++)
      insertApp(db, {
        namespace: 'gamma',
        name: `widget-${String(i).padStart(2, '0')}`,
        summary: 'a widget',
        installs: i + 1,
      });
  });
  after(() => srv.close());

  it('filters by publisher', async () => {
    const r = await search(srv.url, { q: 'web', publisher: 'beta' });
    expect(refs(r)).to.deep.equal(['beta/shop']);
  });

  it('filters by tag, ignoring case', async () => {
    const r = await search(srv.url, { tag: 'cms', sort: 'name' });
    expect(names(r)).to.deep.equal(['blog', 'shop', 'wiki']);
  });

  it('needs every tag given', async () => {
    const r = await search(srv.url, { tag: ['cms', 'php'], sort: 'name' });
    expect(names(r)).to.deep.equal(['blog', 'shop']);
  });

  it('filters by category', async () => {
    const r = await search(srv.url, { category: 'docs' });
    expect(names(r)).to.deep.equal(['wiki']);
  });

  it('filters by arch: apps with a version of it', async () => {
    const r = await search(srv.url, { arch: 'arm64', sort: 'name' });
    expect(names(r)).to.deep.equal(['db', 'shop']);
  });

  it('combines text and filters', async () => {
    const r = await search(srv.url, { q: 'web', tag: 'php', publisher: 'acme' });
    expect(names(r)).to.deep.equal(['blog']);
  });

  it('finds nothing for an unknown filter value', async () => {
    const r = await search(srv.url, { tag: 'nope' });
    expect([r.status, r.body.total, r.body.items.length, r.body.facets.tags.length]).to.deep.equal([
      200, 0, 0, 0,
    ]);
  });

  it('counts facets over the filtered result', async () => {
    const r = await search(srv.url, { q: 'web' });
    expect(r.body.facets.tags).to.deep.equal([
      { value: 'cms', count: 3 },
      { value: 'php', count: 2 },
      { value: 'docs', count: 1 },
    ]);
    expect(r.body.facets.publishers).to.deep.equal([
      { value: 'acme', count: 2 },
      { value: 'beta', count: 1 },
    ]);
    expect(r.body.facets.categories).to.deep.equal([
      { value: 'web', count: 2 },
      { value: 'commerce', count: 1 },
      { value: 'docs', count: 1 },
    ]);
    const filtered = await search(srv.url, { q: 'web', publisher: 'acme' });
    expect(filtered.body.facets.tags).to.deep.equal([
      { value: 'cms', count: 2 },
      { value: 'docs', count: 1 },
      { value: 'php', count: 1 },
    ]);
    expect(filtered.body.facets.publishers).to.deep.equal([{ value: 'acme', count: 2 }]);
  });

  it('pages through every result once, with the total', async () => {
    const seen: string[] = [];
    for (const page of [1, 2, 3]) {
      const r = await search(srv.url, { q: 'widget', sort: 'installs', page, pageSize: 10 });
      expect([r.body.total, r.body.page, r.body.pageSize, r.body.items.length]).to.deep.equal([
        25,
        page,
        10,
        page === 3 ? 5 : 10,
      ]);
      seen.push(...names(r));
    }
    expect(seen).to.deep.equal(
      Array.from({ length: 25 }, (_, i) => `widget-${String(24 - i).padStart(2, '0')}`),
    );
    const past = await search(srv.url, { q: 'widget', page: 4, pageSize: 10 });
    expect([past.status, past.body.total, past.body.items.length]).to.deep.equal([200, 25, 0]);
  });

  it('pages with the default size of 20', async () => {
    const r = await search(srv.url, {});
    expect([r.body.total, r.body.pageSize, r.body.items.length]).to.deep.equal([29, 20, 20]);
  });
});
