/**
 * The Atom feeds (RFC 4287) of new versions, per app and per publisher, against a started store:
 * well-formed whatever publishers write, only installable versions of apps on the shelf, newest
 * published first and at most 50, absolute URLs from `publicUrl` (never a forwarded host), the
 * ETag and Last-Modified answered with 304, and the feed links in the pages' heads.
 */
import { expect } from 'chai';
import { api } from '../helpers/accounts.js';
import { CookieBrowser } from '../helpers/cookie-browser.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { child, findAll, parseXml, type XmlElement } from '../helpers/xml.js';
import {
  HOSTILE_APP,
  HOSTILE_PUBLISHER,
  notesOf,
  publishFeedApps,
  pushVersions,
  shelve,
  shown,
} from './feed-fixture.js';

const PUBLIC_URL = 'https://store.example.test';
const ATOM = 'http://www.w3.org/2005/Atom';

describe('web: Atom feeds of new versions', function () {
  this.timeout(60_000);
  let srv: TestServer;
  let session: string;

  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(srv.url + path, { headers });
  const feed = async (path: string): Promise<XmlElement> => {
    const res = await get(path);
    expect(res.status, path).to.equal(200);
    expect(res.headers.get('content-type')).to.equal('application/atom+xml; charset=utf-8');
    return parseXml(await res.text());
  };
  const entryVersions = (f: XmlElement) =>
    findAll(f, 'entry').map((e) => child(e, 'id').text.split('/').pop());

  before(async () => {
    srv = await startTestServer({ publicUrl: PUBLIC_URL });
    session = await publishFeedApps(srv);
  });
  after(() => srv?.close());

  it('lists an app’s installable versions, newest published first, each with its page and notes', async () => {
    const f = await feed('/apps/pubby/tool/feed.atom');
    expect(f.name).to.equal('feed');
    expect(f.attrs['xmlns']).to.equal(ATOM);
    // Published in the order 1.0.0, 1.10.0, 1.2.0; the draft 9.9.9 is no release.
    expect(entryVersions(f)).to.deep.equal(['1.2.0', '1.10.0', '1.0.0']);
    expect(child(f, 'id').text).to.equal(`${PUBLIC_URL}/apps/pubby/tool/feed.atom`);
    expect(child(f, 'title').text).to.equal(`${shown(HOSTILE_APP)}: new versions`);
    const links = f.children.filter((c) => c.name === 'link').map((l) => l.attrs);
    expect(links).to.deep.include({
      rel: 'self',
      type: 'application/atom+xml',
      href: `${PUBLIC_URL}/apps/pubby/tool/feed.atom`,
    });
    expect(links).to.deep.include({
      rel: 'alternate',
      type: 'text/html',
      href: `${PUBLIC_URL}/apps/pubby/tool`,
    });
    const updated = findAll(f, 'updated').map((u) => u.text);
    for (const u of updated) expect(u).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(child(f, 'updated').text).to.equal([...updated.slice(1)].sort().pop());
    for (const e of findAll(f, 'entry')) {
      const version = child(e, 'id').text.split('/').pop()!;
      const url = `${PUBLIC_URL}/apps/pubby/tool/versions/${version}`;
      expect(child(e, 'id').text).to.equal(url);
      expect(child(e, 'link').attrs).to.deep.equal({
        rel: 'alternate',
        type: 'text/html',
        href: url,
      });
      expect(child(e, 'title').text).to.equal(`${shown(HOSTILE_APP)} ${version}`);
      expect(child(e, 'summary').text).to.equal(shown(notesOf(version)));
      expect(child(child(e, 'author'), 'name').text).to.equal(shown(HOSTILE_PUBLISHER));
      expect(child(child(e, 'author'), 'uri').text).to.equal(`${PUBLIC_URL}/publishers/pubby`);
      expect(child(e, 'published').text <= child(e, 'updated').text).to.equal(true);
    }
  });

  it('escapes what publishers write: no markup of theirs survives as markup', async () => {
    const text = await (await get('/apps/pubby/tool/feed.atom')).text();
    expect(text).not.to.contain('<script>').and.not.to.contain('<b>').and.not.to.contain('<i>');
    expect(text).to.contain('&lt;script&gt;').and.to.contain('&amp;lt;');
    expect(text).not.to.match(/[\u0000-\u0008]/);
  });

  it('lists a publisher’s versions of apps on the shelf only; private apps are absent', async () => {
    const f = await feed('/publishers/pubby/feed.atom');
    expect(child(f, 'id').text).to.equal(`${PUBLIC_URL}/publishers/pubby/feed.atom`);
    expect(child(f, 'title').text).to.equal(`${shown(HOSTILE_PUBLISHER)}: new versions`);
    const ids = findAll(f, 'entry').map((e) => child(e, 'id').text);
    expect(ids).to.deep.equal(
      ['1.2.0', '1.10.0', '1.0.0'].map((v) => `${PUBLIC_URL}/apps/pubby/tool/versions/${v}`),
    );
    expect(ids.join(' ')).not.to.contain('secret');
  });

  it('does not serve a private app’s feed, not even to its owner', async () => {
    for (const path of ['/apps/pubby/secret/feed.atom', '/apps/pubby/nothing/feed.atom']) {
      expect((await get(path)).status, path).to.equal(404);
      const owner = await new CookieBrowser(srv).request('GET', path, undefined, {
        cookie: `appshelf_session=${session}`,
      });
      expect(owner.status, path).to.equal(404);
    }
    expect((await get('/publishers/nobody/feed.atom')).status).to.equal(404);
  });

  it('answers 304 to its ETag and its Last-Modified, and changes when a version is published', async () => {
    const first = await get('/apps/pubby/tool/feed.atom');
    const etag = first.headers.get('etag')!;
    const lastModified = first.headers.get('last-modified')!;
    expect(etag).to.match(/^"[\w-]{27}"$/);
    expect(new Date(lastModified).getTime()).to.be.greaterThan(0);
    expect(first.headers.get('cache-control')).to.equal('public, max-age=300');
    expect(first.headers.get('set-cookie'), 'a shared answer sets no cookie').to.equal(null);
    const again = await get('/apps/pubby/tool/feed.atom', { 'if-none-match': etag });
    expect(again.status).to.equal(304);
    expect(await again.text()).to.equal('');
    const since = await get('/apps/pubby/tool/feed.atom', { 'if-modified-since': lastModified });
    expect(since.status).to.equal(304);
    const stale = await get('/apps/pubby/tool/feed.atom', { 'if-none-match': '"other"' });
    expect(stale.status).to.equal(200);

    await pushVersions(srv, 'pubby/tool', ['1.3.0']);
    await shelveMore('1.3.0');
    const changed = await get('/apps/pubby/tool/feed.atom', { 'if-none-match': etag });
    expect(changed.status).to.equal(200);
    expect(changed.headers.get('etag')).not.to.equal(etag);
    expect(entryVersions(parseXml(await changed.text()))[0]).to.equal('1.3.0');
  });

  it('makes every URL from publicUrl, whatever Host or forwarded headers say', async () => {
    const res = await get('/apps/pubby/tool/feed.atom', {
      'x-forwarded-host': 'evil.example',
      'x-forwarded-proto': 'http',
    });
    const text = await res.text();
    expect(text).not.to.contain('evil.example').and.not.to.contain(srv.url);
    for (const href of text.matchAll(/(?:href="|<id>|<uri>)([^"<]+)/g))
      expect(href[1]).to.match(new RegExp(`^${PUBLIC_URL.replace(/\./g, '\\.')}/`));
  });

  it('lists at most 50 versions', async () => {
    const many = Array.from({ length: 52 }, (_, i) => `0.${i}.0`);
    await pushVersions(srv, 'pubby/many', many, () => '');
    await shelve(srv, 'pubby/many', many);
    const f = await feed('/apps/pubby/many/feed.atom');
    expect(entryVersions(f)).to.deep.equal(many.slice(2).reverse());
    expect(child(findAll(f, 'entry')[0]!, 'summary').text).to.equal('Version 0.51.0 of many.');
    expect(findAll(await feed('/publishers/pubby/feed.atom'), 'entry')).to.have.length(50);
  });

  it('is linked from the heads of the app page and the publisher page (not a private app’s)', async () => {
    const browser = new CookieBrowser(srv);
    const link = (href: string) =>
      new RegExp(
        `<link rel="alternate" type="application/atom\\+xml" title="[^"]*" href="${href}">`,
      );
    const app = await browser.request('GET', '/apps/pubby/tool');
    expect(app.text).to.match(link(`${PUBLIC_URL}/apps/pubby/tool/feed.atom`));
    const publisher = await browser.request('GET', '/publishers/pubby');
    expect(publisher.text).to.match(link(`${PUBLIC_URL}/publishers/pubby/feed.atom`));
    const secret = await browser.request('GET', '/apps/pubby/secret', undefined, {
      cookie: `appshelf_session=${session}`,
    });
    expect(secret.status).to.equal(200);
    expect(secret.text).not.to.contain('application/atom+xml');
  });

  async function shelveMore(version: string): Promise<void> {
    const res = await api(srv, 'POST', '/api/v1/apps/pubby/tool/packages', {
      bearer: ADMIN_KEY,
      body: { name: `p-${version.replace(/\./g, '-')}`, versions: [version] },
    });
    expect(res.status, res.text).to.equal(201);
  }
});
