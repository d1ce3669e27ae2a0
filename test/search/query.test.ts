import { expect } from 'chai';
import { describeDialects } from '../helpers/dialects.js';
import { names, search } from './search-fixtures.js';
import { startSearchServer, type SearchServer } from './search-server.js';

describeDialects('search: query text', ({ dialect }) => {
  let srv: SearchServer;
  before(async () => {
    srv = await startSearchServer(dialect);
    await srv.insert({
      name: 'wordpress',
      displayName: 'WordPress',
      summary: 'blog and website engine',
      tags: ['cms'],
    });
    await srv.insert({
      name: 'postgresql',
      displayName: 'PostgreSQL',
      summary: 'relational database cluster',
    });
    await srv.insert({
      name: 'redis',
      summary: 'in-memory key value store',
      introduction: 'Café-grade caching for everyone.',
    });
    await srv.insert({
      name: 'gitea',
      summary: 'self-hosted git service',
      introduction: 'Pulls NEAR the (AND) shore',
    });
  });
  after(() => srv.close());

  const cases: [string, string, string[]][] = [
    ['a whole word', 'engine', ['wordpress']],
    ['a prefix of the last word', 'wordp', ['wordpress']],
    ['a prefix of the display name, any case', 'POSTG', ['postgresql']],
    ['words in different columns', 'relational cluster', ['postgresql']],
    ['a prefix of an earlier word (every-term prefix fallback)', 'postg cluster', ['postgresql']],
    ['a word of a hyphenated name', 'memory', ['redis']],
    ['without its diacritics', 'cafe', ['redis']],
    ['with its diacritics', 'café', ['redis']],
    ['a tag', 'cms', ['wordpress']],
    ['the publisher', 'acme', ['gitea', 'postgresql', 'redis', 'wordpress']],
    ['FTS5 operators as plain words', 'near AND shore', ['gitea']],
  ];
  for (const [what, q, expected] of cases) {
    it(`finds ${what} (${JSON.stringify(q)})`, async () => {
      const r = await search(srv.url, { q });
      expect(r.status).to.equal(200);
      expect(names(r).sort()).to.deep.equal(expected);
      expect(r.body.total).to.equal(expected.length);
    });
  }

  it('needs every word to match', async () => {
    const r = await search(srv.url, { q: 'wordpress database' });
    expect([r.status, r.body.total]).to.deep.equal([200, 0]);
  });

  const garbage = [
    '"',
    '*',
    'AND (',
    'NEAR(',
    'NEAR(a b, 2)',
    'name:wordpress',
    '^word',
    'wordpress OR',
    '-redis',
    '""""',
    'a AND OR NOT b',
    '(((',
    '{name summary}: x',
    "'",
    '\\',
    '%',
    '_',
    'wordpress"*',
    '* * *',
    'NOT',
    '\u0000',
    '日本語',
    'x'.repeat(256),
  ];
  for (const q of garbage) {
    it(`answers ${JSON.stringify(q.length > 20 ? `${q.slice(0, 20)}…` : q)} without an error`, async () => {
      const r = await search(srv.url, { q });
      expect(r.status).to.equal(200);
      expect(r.body.items).to.be.an('array');
    });
  }

  it('treats quotes and column filters as separators', async () => {
    const r = await search(srv.url, { q: '"wordpress" (engine' });
    expect(names(r)).to.deep.equal(['wordpress']);
  });

  const invalid: [string, Record<string, string | string[]>][] = [
    ['a query over 256 characters', { q: 'x'.repeat(257) }],
    ['page 0', { page: '0' }],
    ['a page that is not a number', { page: 'two' }],
    ['pageSize over 100', { pageSize: '101' }],
    ['an unknown sort', { sort: 'random' }],
    ['an unknown parameter', { query: 'redis' }],
    ['a repeated publisher', { publisher: ['a', 'b'] }],
    ['six tags', { tag: ['a', 'b', 'c', 'd', 'e', 'f'] }],
  ];
  for (const [what, params] of invalid) {
    it(`refuses ${what} with 400 invalid`, async () => {
      const r = await search(srv.url, params);
      expect([r.status, r.body.error?.code]).to.deep.equal([400, 'invalid']);
    });
  }

  it('ignores empty filters', async () => {
    const r = await search(srv.url, { q: 'redis', publisher: '', tag: '', arch: '' });
    expect(names(r)).to.deep.equal(['redis']);
  });
});
