/**
 * An app's pages over HTTP (no browser): each tab at its own URL, the versions with their own
 * pages, components without env values, the dependency graph as inline SVG, the template
 * highlighted and downloadable as JSON, and an install box that follows the chosen version.
 */
import { expect } from 'chai';
import { api } from '../helpers/accounts.js';
import { CookieBrowser } from '../helpers/cookie-browser.js';
import { readFile } from 'node:fs/promises';
import { withoutSourceCredentials } from '../../schemas/source-credentials.js';
import { TestRegistryClient } from '../helpers/registry-client.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { pushTemplate } from '../store/app-pushes.js';
import { imageSizes } from '../../server/web/image-sizes.js';
import { highlightJson } from '../../server/web/json-highlight.js';
import { publishSampleApps } from './app-fixture.js';

describe('web: an app’s pages', function () {
  this.timeout(60_000);
  let srv: TestServer;
  const get = (path: string) => new CookieBrowser(srv).request('GET', path);

  before(async () => {
    srv = await startTestServer();
    await publishSampleApps(srv);
  });
  after(() => srv?.close());

  it('has tabs that are links with their own URLs, the current one marked', async () => {
    for (const [path, current] of [
      ['/apps/acme/shop', 'Overview'],
      ['/apps/acme/shop/versions', 'Versions'],
      ['/apps/acme/shop/components', 'Components'],
      ['/apps/acme/shop/template', 'Template'],
      ['/apps/acme/shop/versions/1.0', 'Versions'],
    ] as const) {
      const res = await get(path);
      expect(res.status, path).to.equal(200);
      for (const tab of ['', '/versions', '/components', '/template'])
        expect(res.text, path).to.contain(`href="/apps/acme/shop${tab}"`);
      expect(res.text, path).to.match(new RegExp(`aria-current="page">${current}<`));
      expect(res.text, path).not.to.match(/\sstyle="/);
    }
  });

  it('shows the overview with the publisher and the 30-day chart', async () => {
    const res = await get('/apps/acme/shop');
    expect(res.text).to.contain('<svg viewBox="0 0 600 160"').and.contain('last 30 days');
    expect(res.text).to.contain('<dt>Publisher</dt>').and.contain('href="/publishers/acme"');
  });

  it('lists every version with its notes, date, size and state; each has its own page', async () => {
    const res = await get('/apps/acme/shop/versions');
    for (const v of ['1.0', '1.1']) {
      expect(res.text).to.contain(`href="/apps/acme/shop/versions/${v}"`);
      expect(res.text).to.contain(`bundle ${v}`);
    }
    expect(res.text).to.match(/class="badge state-ready">ready</);
    expect(res.text).to.match(/<time datetime="\d{4}-\d\d-\d\dT/);
    expect(res.text).to.match(/\d+(\.\d)? (B|KiB)/);
    const one = await get('/apps/acme/shop/versions/1.0');
    expect(one.text)
      .to.contain('Version 1.0')
      .and.contain('href="/apps/acme/shop/versions/1.0/template.json"');
    expect((await get('/apps/acme/shop/versions/9.9')).status).to.equal(404);
    expect((await get('/apps/acme/shop/components?version=9.9')).status).to.equal(404);
  });

  it('shows each component with image, digest, sizes, ports, env names (never values), volumes, probes', async () => {
    const res = await get('/apps/acme/wordpress/components');
    expect(res.status).to.equal(200);
    expect(res.text).to.contain('MYSQL_ROOT_PASSWORD').and.contain('MYSQL_CHARSET');
    expect(res.text).to.contain('3306/tcp').and.contain('/var/lib/mysql').and.contain('readiness');
    expect(res.text).to.match(/@sha256:[0-9a-f]{64}/);
    expect(res.text).to.match(/(one platform|linux\/\w+): \d+(\.\d)? (B|KiB)/);
    expect(res.text).to.contain('1024 MiB memory');
    // Values may be secrets: neither they nor a config file's content reach the page.
    for (const secret of ['**None:', 'utf8mb4', 'max_connections', 'attr_value'])
      expect(res.text, secret).not.to.contain(secret);
  });

  it('draws the dependency graph between components as inline SVG', async () => {
    const res = await get('/apps/acme/shop/components');
    const svg = /<svg[^>]*data-graph="dependencies"[\s\S]*?<\/svg>/.exec(res.text)?.[0] ?? '';
    expect(svg, 'graph').not.to.equal('');
    expect(svg.match(/class="dep-edge"/g)).to.have.length(2);
    expect(svg.match(/class="dep-node"/g)).to.have.length(3);
    expect(res.text)
      .to.contain('Storefront needs Shop API')
      .and.contain('Shop API needs PostgreSQL');
  });

  it('highlights the template and serves it raw as application/json, as the API serves it', async () => {
    const page = await get('/apps/acme/shop/template?version=1.0');
    expect(page.text).to.match(/<span class="j-key">&quot;group_key&quot;<\/span>:/);
    expect(page.text)
      .to.match(/<span class="j-str">/)
      .and.match(/<span class="j-num">/);
    const raw = await fetch(`${srv.url}/apps/acme/shop/versions/1.0/template.json`);
    expect(raw.status).to.equal(200);
    expect(raw.headers.get('content-type')).to.match(/^application\/json/);
    expect(raw.headers.get('content-disposition')).to.match(
      /^attachment; filename="shop-1.0-template.json"/,
    );
    const template = (await raw.json()) as object;
    const fromApi = await api<{ template: object }>(
      srv,
      'GET',
      '/api/v1/apps/acme/shop/versions/1.0',
    );
    expect(template).to.deep.equal(fromApi.body.template);
    expect(JSON.stringify(template)).not.to.match(/"hub_password":"[^"]/);
  });

  it('gives whole install commands for the chosen version: CLI, oras, the Rainbond console', async () => {
    const latest = await get('/apps/acme/shop');
    expect(latest.text).to.contain(`appshelf install ${srv.host}/acme/shop:1.1`);
    expect(latest.text).to.contain(`oras pull ${srv.host}/acme/shop:1.1`);
    expect(latest.text).to.contain('Platform management → App market');
    expect(latest.text).to.match(/<select id="install-version" name="version"[^>]*>/);
    expect(latest.text).to.match(/<option value="1.1" selected>1.1 \(latest\)<\/option>/);
    const older = await get('/apps/acme/shop?version=1.0');
    expect(older.text).to.contain(`appshelf install ${srv.host}/acme/shop:1.0`);
    expect(older.text).to.contain(`oras pull ${srv.host}/acme/shop:1.0`);
  });

  it('shows a draft to members only, its release notes from the template’s version_info', async () => {
    const sample = withoutSourceCredentials(
      JSON.parse(
        await readFile(new URL('../fixtures/ram/valid/three-tier.json', import.meta.url), 'utf8'),
      ) as object,
    );
    const draft = Buffer.from(JSON.stringify({ ...sample, group_version: '2.0' }));
    await pushTemplate(new TestRegistryClient(srv.url), 'acme/shop', draft, '2.0');
    const admin = new CookieBrowser(srv);
    const signedIn = await admin.request('POST', '/login', {
      _csrf: await admin.token(),
      action: 'key',
      key: ADMIN_KEY,
      next: '/',
    });
    expect(signedIn.status).to.equal(303);
    const mine = await admin.request('GET', '/apps/acme/shop/versions');
    expect(mine.text).to.contain('href="/apps/acme/shop/versions/2.0"');
    expect(mine.text).to.match(/class="badge state-draft">draft</);
    expect(mine.text).to.contain('Adds image uploads shared with the storefront');
    expect(mine.text).to.contain('not synced yet');
    // A draft cannot be installed: the install box keeps to ready versions.
    expect(mine.text).not.to.contain('<option value="2.0"');
    expect((await get('/apps/acme/shop/versions')).text).not.to.contain('/versions/2.0');
    expect((await get('/apps/acme/shop/versions/2.0')).status).to.equal(404);
  });
});

describe('web: app page pieces', () => {
  it('sizes an image per platform from its index, leaving attestations out', async () => {
    const manifests: Record<string, object> = {
      'sha256:index': {
        manifests: [
          { digest: 'sha256:amd', platform: { os: 'linux', architecture: 'amd64' } },
          { digest: 'sha256:arm', platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
          { digest: 'sha256:att', platform: { os: 'unknown', architecture: 'unknown' } },
        ],
      },
      'sha256:amd': { config: { size: 100 }, layers: [{ size: 1000 }, { size: 24 }] },
      'sha256:arm': { config: { size: 90 }, layers: [{ size: 910 }] },
    };
    const meta = {
      manifestByDigest: (_repo: string, digest: string) =>
        manifests[digest] && {
          digest,
          mediaType: '',
          size: 0,
          content: Buffer.from(JSON.stringify(manifests[digest])),
        },
    } as Parameters<typeof imageSizes>[0];
    expect(await imageSizes(meta, 'a/b', 'sha256:index')).to.deep.equal([
      { platform: 'linux/amd64', bytes: 1124 },
      { platform: 'linux/arm64/v8', bytes: 1000 },
    ]);
    expect(await imageSizes(meta, 'a/b', 'sha256:amd')).to.deep.equal([
      { platform: '', bytes: 1124 },
    ]);
    expect(await imageSizes(meta, 'a/b', 'sha256:gone')).to.deep.equal([]);
  });

  it('highlights JSON with escaped text in classed spans', () => {
    expect(highlightJson({ a: '<b>"x"</b>', n: -1.5, t: true, z: null })).to.equal(
      '{\n  <span class="j-key">&quot;a&quot;</span>: <span class="j-str">&quot;&lt;b&gt;\\&quot;x\\&quot;&lt;/b&gt;&quot;</span>,\n' +
        '  <span class="j-key">&quot;n&quot;</span>: <span class="j-num">-1.5</span>,\n' +
        '  <span class="j-key">&quot;t&quot;</span>: <span class="j-lit">true</span>,\n' +
        '  <span class="j-key">&quot;z&quot;</span>: <span class="j-lit">null</span>\n}',
    );
  });
});
