/**
 * README badges against a started store: a valid SVG whatever the label says, the latest version
 * by the app page's rule (semver, not the newest pushed), the install count, boxes wide enough
 * for their text, the same grey 404 badge for a private app and an app that does not exist, and
 * short public caching with an ETag.
 */
import { expect } from 'chai';
import { api } from '../helpers/accounts.js';
import { CookieBrowser } from '../helpers/cookie-browser.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { findAll, parseXml, type XmlElement } from '../helpers/xml.js';
import { MAX_BADGE_TEXT, textWidth } from '../../server/web/badge.js';
import { count } from '../../server/web/pages/parts.js';
import { publishFeedApps } from './feed-fixture.js';

const SVG = 'http://www.w3.org/2000/svg';

/** The badge's label and message (the visible text elements) and its boxes, checked for fit. */
function readBadge(svg: XmlElement): { label: string; message: string } {
  expect(svg.name).to.equal('svg');
  expect(svg.attrs['xmlns']).to.equal(SVG);
  const rects = findAll(svg, 'rect');
  const [labelBox, messageBox] = [rects[1]!, rects[2]!];
  const lw = Number(labelBox.attrs['width']);
  const mw = Number(messageBox.attrs['width']);
  expect(Number(svg.attrs['width'])).to.equal(lw + mw);
  expect(Number(messageBox.attrs['x'])).to.equal(lw);
  const texts = findAll(svg, 'text').filter((t) => !t.attrs['aria-hidden']);
  const [label, message] = texts.map((t) => t.text);
  for (const [t, box] of [
    [texts[0]!, lw],
    [texts[1]!, mw],
  ] as const) {
    // The text is drawn at scale .1: its length in tenths, centred in its box with 5 px each side.
    const length = Number(t.attrs['textLength']) / 10;
    expect(length + 10, t.text).to.equal(box);
    expect(length, t.text).to.be.at.least(textWidth(t.text));
  }
  expect(findAll(svg, 'title')[0]?.text).to.equal(`${label}: ${message}`);
  expect(svg.attrs['aria-label']).to.equal(`${label}: ${message}`);
  return { label: label!, message: message! };
}

describe('web: README badges', function () {
  this.timeout(60_000);
  let srv: TestServer;
  let session: string;
  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(srv.url + path, { headers });
  const badge = async (path: string, status = 200) => {
    const res = await get(path);
    expect(res.status, path).to.equal(status);
    expect(res.headers.get('content-type')).to.equal('image/svg+xml; charset=utf-8');
    return readBadge(parseXml(await res.text()));
  };

  before(async () => {
    srv = await startTestServer();
    session = await publishFeedApps(srv);
  });
  after(() => srv?.close());

  it('shows the latest version as the app page names it (semver order, not the newest push)', async () => {
    expect(await badge('/apps/pubby/tool/badge.svg')).to.deep.equal({
      label: 'appshelf',
      message: '1.10.0',
    });
    const page = await new CookieBrowser(srv).request('GET', '/apps/pubby/tool');
    expect(page.text).to.match(/<dt>Latest version<\/dt><dd><a [^>]*>1\.10\.0<\/a>/);
  });

  it('shows the install count, and counts the next install', async () => {
    expect(await badge('/apps/pubby/tool/installs.svg')).to.deep.equal({
      label: 'installs',
      message: '0',
    });
    const before = (await get('/apps/pubby/tool/installs.svg')).headers.get('etag');
    const installed = await api(srv, 'GET', '/api/v1/apps/pubby/tool/versions/1.2.0/install', {
      bearer: ADMIN_KEY,
    });
    expect(installed.status, installed.text).to.equal(200);
    expect((await badge('/apps/pubby/tool/installs.svg')).message).to.equal('1');
    expect((await get('/apps/pubby/tool/installs.svg')).headers.get('etag')).not.to.equal(before);
    expect([999, 1234, 12_345].map(count)).to.deep.equal(['999', '1.2k', '12k']);
  });

  it('takes ?label=, escaped (an SVG that still parses), cut to one short line', async () => {
    const hostile = `<script>alert(1)</script> & "q" 'a' ]]> \u0001中文`;
    expect(
      await badge(`/apps/pubby/tool/badge.svg?label=${encodeURIComponent(hostile)}`),
    ).to.deep.equal({
      label: hostile.replace('\u0001', ''),
      message: '1.10.0',
    });
    const text = await (
      await get(`/apps/pubby/tool/badge.svg?label=${encodeURIComponent(hostile)}`)
    ).text();
    expect(text).not.to.contain('<script>');
    const long = 'W'.repeat(MAX_BADGE_TEXT + 1);
    expect(
      await badge(`/apps/pubby/tool/badge.svg?label=${long}`, 400),
      'a label longer than a badge holds is refused',
    ).to.deep.include({ message: 'invalid label' });
    expect(
      (await badge(`/apps/pubby/tool/installs.svg?label=${'W'.repeat(MAX_BADGE_TEXT)}`)).label,
    ).to.have.length(MAX_BADGE_TEXT);
    expect((await badge('/apps/pubby/tool/installs.svg?label=')).label).to.equal('installs');
  });

  it('measures text so it never overflows its box, wide characters included', () => {
    expect(textWidth('W')).to.be.greaterThan(textWidth('i'));
    expect(textWidth('1.10.0')).to.be.within(30, 40);
    // Characters the Verdana table lacks count a full em (11 px): wider than any Latin glyph.
    expect(textWidth('中文🚀')).to.equal(33);
    for (const ch of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789')
      expect(textWidth(ch), ch).to.be.within(2, 11);
  });

  it('answers a private app and a missing one alike: a grey "not found" badge with 404', async () => {
    const secret = await get('/apps/pubby/secret/badge.svg');
    const missing = await get('/apps/pubby/nothing/badge.svg');
    expect([secret.status, missing.status]).to.deep.equal([404, 404]);
    const body = await secret.text();
    expect(await missing.text()).to.equal(body);
    expect(readBadge(parseXml(body))).to.deep.equal({ label: 'appshelf', message: 'not found' });
    expect(secret.headers.get('cache-control')).to.equal('public, max-age=60');
    const owner = await new CookieBrowser(srv).request(
      'GET',
      '/apps/pubby/secret/installs.svg',
      undefined,
      { cookie: `appshelf_session=${session}` },
    );
    expect(owner.status, 'the anonymous view, whoever asks').to.equal(404);
  });

  it('is cached publicly a short while, sets no cookie, and answers 304 to its ETag', async () => {
    const res = await get('/apps/pubby/tool/badge.svg');
    expect(res.headers.get('cache-control')).to.equal('public, max-age=300');
    expect(res.headers.get('set-cookie')).to.equal(null);
    const etag = res.headers.get('etag')!;
    expect(etag).to.match(/^"[\w-]{27}"$/);
    const again = await get('/apps/pubby/tool/badge.svg', { 'if-none-match': `W/${etag}` });
    expect(again.status).to.equal(304);
    expect(await again.text()).to.equal('');
  });

  it('takes absolute URLs from the Host without publicUrl, never from forwarded headers', async () => {
    const forwarded = { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' };
    const page = await new CookieBrowser(srv).request(
      'GET',
      '/apps/pubby/tool',
      undefined,
      forwarded,
    );
    expect(page.text).to.contain(`(${srv.url}/apps/pubby/tool/badge.svg)`);
    const feed = await (await get('/apps/pubby/tool/feed.atom', forwarded)).text();
    expect(`${page.text}${feed}`).not.to.contain('evil.example');
    expect(feed).to.contain(`<id>${srv.url}/apps/pubby/tool/feed.atom</id>`);
  });

  it('is offered on the app page’s overview as markdown to copy (not on a private app’s)', async () => {
    const page = await new CookieBrowser(srv).request('GET', '/apps/pubby/tool');
    const base = srv.url;
    expect(page.text).to.contain('<h2 id="badge-h">Badge and feed</h2>');
    expect(page.text).to.contain(
      `(${base}/apps/pubby/tool/badge.svg)](${base}/apps/pubby/tool)</code>`,
    );
    expect(page.text).to.contain('<img class="badge-preview" src="/apps/pubby/tool/badge.svg"');
    expect(page.text).to.contain('href="/apps/pubby/tool/feed.atom" type="application/atom+xml"');
    // The display name is the publisher's text: HTML-escaped, and its brackets escaped for markdown
    // (its U+0000 never got stored: input loses it, as PostgreSQL cannot keep it).
    expect(page.text).to.contain(
      `[![Tool &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;co&#39; \\]\\]&gt; on appshelf](`,
    );
    const secret = await new CookieBrowser(srv).request('GET', '/apps/pubby/secret', undefined, {
      cookie: `appshelf_session=${session}`,
    });
    expect(secret.status).to.equal(200);
    expect(secret.text).not.to.contain('badge-h');
  });
});
