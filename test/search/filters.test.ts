import { expect } from 'chai';
import { describeDialects } from '../helpers/dialects.js';
import { names, refs, search } from './search-fixtures.js';
import { startSearchServer, type SearchServer } from './search-server.js';

describeDialects('search: filters, facets and pagination', ({ dialect }) => {
  let srv: SearchServer;
  before(async () => {
    srv = await startSearchServer(dialect);
    await srv.insert({
      namespace: 'acme',
      name: 'blog',
      summary: 'web blog',
      tags: ['cms', 'php'],
      categories: ['web'],
    });
    await srv.insert({
      namespace: 'acme',
      name: 'wiki',
      summary: 'web wiki',
      tags: ['CMS', 'docs'],
      categories: ['web', 'docs'],
    });
    await srv.insert({
      namespace: 'beta',
      name: 'shop',
      summary: 'web shop',
      tags: ['cms', 'php'],
      categories: ['commerce'],
      versions: [{ version: '2.0', arch: 'arm64' }],
    });
    await srv.insert({
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
      await srv.insert({
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

  it("counts the architectures of the apps' versions", async () => {
    const all = await search(srv.url, { q: 'web database' });
    expect(all.body.facets.architectures).to.deep.equal([]);
    const r = await search(srv.url, { tag: ['cms'] });
    expect(r.body.facets.architectures).to.deep.equal([
      { value: 'amd64', count: 2 },
      { value: 'arm64', count: 1 },
    ]);
    // An app with versions of both counts once for each.
    const everything = await search(srv.url, { publisher: 'beta' });
    expect(everything.body.facets.architectures).to.deep.equal([
      { value: 'arm64', count: 2 },
      { value: 'amd64', count: 1 },
    ]);
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

describeDialects('search: paging through ties', ({ dialect }) => {
  let srv: SearchServer;
  const updatedAt = Date.now() - 86_400_000;
  before(async () => {
    srv = await startSearchServer(dialect);
    // Same text, same update time, no installs: every order ties, only the id separates them.
    for (let i = 0; i < 30; i++)
      await srv.insert({
        name: `twin-${String(i).padStart(2, '0')}`,
        summary: 'twin service',
        updatedAt,
      });
  });
  after(() => srv.close());

  for (const sort of ['relevance', 'installs', 'updated', 'name'] as const) {
    it(`shows every app once across pages, with one total (${sort})`, async () => {
      const seen: string[] = [];
      const totals = new Set<number>();
      for (let page = 1; page <= 5; page++) {
        const r = await search(srv.url, { q: 'twin', sort, page, pageSize: 7 });
        totals.add(r.body.total);
        seen.push(...names(r));
      }
      expect([...totals]).to.deep.equal([30]);
      expect([...seen].sort()).to.deep.equal(
        Array.from({ length: 30 }, (_, i) => `twin-${String(i).padStart(2, '0')}`),
      );
      const again = await search(srv.url, { q: 'twin', sort, page: 1, pageSize: 30 });
      expect(names(again)).to.deep.equal(seen);
    });
  }
});
