/**
 * The web without a browser: escaping and markdown sanitising, security headers, hashed static
 * files, error pages beside the API's JSON errors, the CSRF token's binding to the session, and
 * sign-in redirects that never leave the site.
 */
import { expect } from 'chai';
import { html, trusted } from '../../server/web/html.js';
import { renderMarkdown } from '../../server/web/markdown.js';
import { api, codeFromLogs } from '../helpers/accounts.js';
import { TestRegistryClient } from '../helpers/registry-client.js';
import { CookieBrowser } from '../helpers/cookie-browser.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { pushTemplate } from '../store/app-pushes.js';

describe('web: pages without a browser', function () {
  this.timeout(30_000);
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer();
  });
  after(() => srv?.close());

  describe('escaping and markdown', () => {
    it('escapes every interpolated value unless it is trusted markup', () => {
      const name = '<img src=x onerror=alert(1)> & "quotes" \'';
      expect(html`<p title="${name}">${name}</p>`.value).to.equal(
        '<p title="&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quotes&quot; &#39;">&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quotes&quot; &#39;</p>',
      );
      expect(
        html`${[html`<b>${'<i>'}</b>`, null, false, undefined, 3]}${trusted('<hr>')}`.value,
      ).to.equal('<b>&lt;i&gt;</b>3<hr>');
    });

    for (const [what, markdown, absent] of [
      ['raw HTML', '<script>alert(1)</script><img src=x onerror=alert(1)>', /<script|<img/],
      ['a javascript: link', '[x](javascript:alert(1))', /href="javascript:/i],
      ['a vbscript: link', '[x](vbscript:msgbox)', /href="vbscript:/i],
      ['a data: HTML link', '[x](data:text/html;base64,PHNjcmlwdD4=)', /href="data:/i],
      ['an autolinked javascript: URL', '<javascript:alert(1)>', /href="javascript:/i],
    ] as const) {
      it(`renders ${what} harmlessly`, () => {
        expect(renderMarkdown(markdown).value).not.to.match(absent);
      });
    }

    it('keeps the markdown a publisher means: headings one level down, links marked nofollow', () => {
      const out = renderMarkdown('# Title\n\n- **a**\n- `b`\n\n[site](https://example.com)').value;
      expect(out)
        .to.contain('<h2>Title</h2>')
        .and.contain('<strong>a</strong>')
        .and.contain('<code>b</code>');
      expect(out).to.contain(
        '<a href="https://example.com" rel="nofollow noopener noreferrer ugc">site</a>',
      );
    });
  });

  describe('headers, static files and errors', () => {
    it('serves pages with a strict CSP and no inline script', async () => {
      const res = await new CookieBrowser(srv).request('GET', '/');
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp)
        .to.contain("default-src 'none'")
        .and.contain("script-src 'self'")
        .and.contain("frame-ancestors 'none'");
      expect(csp).not.to.contain('unsafe-inline');
      expect(res.headers.get('x-frame-options')).to.equal('DENY');
      expect(res.text).not.to.match(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(res.text).not.to.match(/\sstyle="/);
    });

    it('serves static files under hashed names with a long cache, and 404s old names', async () => {
      const page = await new CookieBrowser(srv).request('GET', '/');
      const paths = [...page.text.matchAll(/(?:href|src)="(\/static\/[^"]+)"/g)].map((m) => m[1]!);
      expect(paths.some((p) => /\/static\/app\.[0-9a-f]{10}\.js$/.test(p))).to.equal(true);
      for (const path of paths) {
        const res = await fetch(new URL(path, srv.url));
        expect(res.status, path).to.equal(200);
        expect(res.headers.get('cache-control'), path).to.equal(
          'public, max-age=31536000, immutable',
        );
      }
      expect((await fetch(new URL('/static/app.0000000000.js', srv.url))).status).to.equal(404);
    });

    it('answers an unknown page with a 404 page, and leaves the API its JSON errors', async () => {
      const page = await new CookieBrowser(srv).request('GET', '/no/such/page');
      expect(page.status).to.equal(404);
      expect(page.text).to.contain('<title>Page not found · appshelf</title>');
      const apiMiss = await api(srv, 'GET', '/api/v1/no-such-thing', {
        headers: { accept: 'text/html' },
      });
      expect([apiMiss.status, apiMiss.headers.get('content-type')]).to.deep.equal([
        404,
        'application/json; charset=utf-8',
      ]);
    });

    it('sends signed-out visitors of store management to sign in', async () => {
      const res = await new CookieBrowser(srv).request('GET', '/my/keys');
      expect([res.status, res.headers.get('location')]).to.deep.equal([
        303,
        '/login?next=%2Fmy%2Fkeys',
      ]);
    });
  });

  describe('sign-in and CSRF', () => {
    const phone = '+4915112340301';

    it('binds the form token to the session: a token from before sign-in stops working after it', async () => {
      const b = new CookieBrowser(srv);
      const anonymousToken = await b.token();
      expect(
        (await b.request('POST', '/login', { _csrf: anonymousToken, action: 'code', phone }))
          .status,
      ).to.equal(200);
      const login = await b.request('POST', '/login', {
        _csrf: anonymousToken,
        action: 'login',
        phone,
        code: codeFromLogs(srv, phone),
        next: '/my/keys',
      });
      expect([login.status, login.headers.get('location')]).to.deep.equal([303, '/my/keys']);
      expect(
        (await b.request('POST', '/my/keys', { _csrf: anonymousToken, name: 'k', scopes: 'read' }))
          .status,
      ).to.equal(403);
      const fresh = await b.token('/my/keys');
      expect(fresh).not.to.equal(anonymousToken);
      const made = await b.request('POST', '/my/keys', { _csrf: fresh, name: 'k', scopes: 'read' });
      expect(made.status).to.equal(200);
      expect(made.text).to.match(/data-secret>ask_/);
      expect(made.headers.get('cache-control')).to.equal('no-store');
      const other = new CookieBrowser(srv);
      await other.token();
      expect(
        (await other.request('POST', '/logout', { _csrf: fresh })).status,
        "another browser's token",
      ).to.equal(403);
    });

    it('refuses a cross-site post even with a valid token', async () => {
      const b = new CookieBrowser(srv);
      const token = await b.token();
      const res = await b.request(
        'POST',
        '/login',
        { _csrf: token, action: 'code', phone: '+4915112340302' },
        { 'sec-fetch-site': 'cross-site' },
      );
      expect(res.status).to.equal(403);
    });

    for (const [i, next] of [
      '//evil.example/x',
      'https://evil.example',
      '/\\evil.example',
      'javascript:alert(1)',
    ].entries()) {
      it(`never sends a signed-in user off the site (next=${next})`, async () => {
        const b = new CookieBrowser(srv);
        const p = `+491511234031${i}`;
        await b.request('POST', '/login', { _csrf: await b.token(), action: 'code', phone: p });
        const login = await b.request('POST', '/login', {
          _csrf: await b.token(),
          action: 'login',
          phone: p,
          code: codeFromLogs(srv, p),
          next,
        });
        expect(login.headers.get('location')).to.match(/^\/my/);
      });
    }

    it('publishes a draft from the edit page: a sync job starts, and My store shows it', async () => {
      const b = new CookieBrowser(srv);
      const p = '+4915112340305';
      await b.request('POST', '/login', { _csrf: await b.token(), action: 'code', phone: p });
      await b.request('POST', '/login', {
        _csrf: await b.token(),
        action: 'login',
        phone: p,
        code: codeFromLogs(srv, p),
        name: 'drafter',
      });
      const made = await b.request('POST', '/my/keys', {
        _csrf: await b.token('/my/keys'),
        name: 'push',
        scopes: 'push',
      });
      const key = /data-secret>(ask_[^<]+)</.exec(made.text)![1]!;
      const template = {
        group_key: 'd1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1',
        group_name: 'drafty',
        group_version: '2.0.0',
        apps: [
          {
            service_id: 'aaaabbbbccccddddeeeeffff00001111',
            service_key: 'aaaabbbbccccddddeeeeffff00001111',
            service_cname: 'web',
            extend_method: 'stateless_multiple',
            share_image: '127.0.0.1:9/acme/web:1',
          },
        ],
      };
      await pushTemplate(
        new TestRegistryClient(srv.url, { username: 'drafter', password: key }),
        'drafter/drafty',
        Buffer.from(JSON.stringify(template)),
        '2.0.0',
      );
      const edit = await b.request('GET', '/my/apps/drafter/drafty');
      expect(edit.text).to.match(
        /<th scope="row">2\.0\.0<\/th><td><span class="badge">draft<\/span>/,
      );
      const published = await b.request('POST', '/my/apps/drafter/drafty/versions/2.0.0/publish', {
        _csrf: await b.token('/my'),
        registry: '127.0.0.1:9',
        username: 'u',
        password: 'p',
      });
      expect([published.status, published.headers.get('location')]).to.deep.equal([
        303,
        '/my/apps/drafter/drafty/versions/2.0.0/sync',
      ]);
      const mine = await b.request('GET', '/my');
      expect(mine.text).to.match(/Sync of 2\.0\.0: <strong>(pending|copying|failed)<\/strong>/);
      expect(mine.text).not.to.contain('p@'); // the password is never shown
    });

    it('shows a clear error for a wrong code, and keeps the number', async () => {
      const b = new CookieBrowser(srv);
      const p = '+4915112340304';
      await b.request('POST', '/login', { _csrf: await b.token(), action: 'code', phone: p });
      const res = await b.request('POST', '/login', {
        _csrf: await b.token(),
        action: 'login',
        phone: p,
        code: '123',
      });
      expect(res.status).to.equal(401);
      expect(res.text)
        .to.contain('role="alert"')
        .and.contain('wrong or used code')
        .and.contain(`value="${p}"`);
    });
  });
});
