/**
 * `publicUrl` (issue 13 §5): when it is set, every absolute URL of the store is built from it,
 * never from the Host a request happened to use: the token realm in the registry's
 * `WWW-Authenticate: Bearer realm=...` challenges, the web's canonical links, the Rainstore
 * market URL. A trailing slash in the setting does not double the slash. Cookie-signed API
 * mutations from a page of the public origin are the store's own.
 */
import { expect } from 'chai';
import { api, loginWithPhone } from '../helpers/accounts.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';

const PUBLIC = 'https://store.example.com';

async function challenge(srv: TestServer, path: string): Promise<[number, string]> {
  const res = await fetch(new URL(path, srv.url));
  await res.body?.cancel();
  return [res.status, res.headers.get('www-authenticate') ?? ''];
}

describe('server: publicUrl names the store in every absolute URL', function () {
  this.timeout(20_000);

  describe('with publicUrl set (written with a trailing slash)', () => {
    let srv: TestServer;
    before(async () => {
      srv = await startTestServer({ publicUrl: `${PUBLIC}/` });
    });
    after(() => srv?.close());

    it('sends registry clients to the public token realm', async () => {
      expect(await challenge(srv, '/v2/')).to.deep.equal([
        401,
        `Bearer realm="${PUBLIC}/v2/token",service="appshelf"`,
      ]);
      expect(await challenge(srv, '/v2/acme/app/manifests/1.0')).to.deep.equal([
        401,
        `Bearer realm="${PUBLIC}/v2/token",service="appshelf",scope="repository:acme/app:pull"`,
      ]);
    });

    it('links pages and the Rainstore market to the public URL', async () => {
      const home = await (await fetch(new URL('/', srv.url))).text();
      expect(home).to.contain(`<link rel="canonical" href="${PUBLIC}/">`);
      const markets = await api<{ url: string }[]>(
        srv,
        'GET',
        '/app-server/openapi/bindablemarkets',
        {
          headers: { authorization: ADMIN_KEY },
        },
      );
      expect(markets.body.map((m) => m.url)).to.deep.equal([PUBLIC]);
    });

    it("takes cookie-signed API changes from the public origin's pages", async () => {
      const { token } = await loginWithPhone(srv, '+4915112341501', 'public');
      const rename = (origin: string) =>
        api(srv, 'PATCH', '/api/v1/users/me', {
          session: token,
          body: { displayName: 'Public' },
          headers: { origin },
        });
      expect((await rename(PUBLIC)).status).to.equal(200);
      expect((await rename('http://store.example.com')).status, 'another scheme').to.equal(403);
    });
  });

  describe('without publicUrl', () => {
    let srv: TestServer;
    before(async () => {
      srv = await startTestServer();
    });
    after(() => srv?.close());

    it('names the realm after the Host the client used', async () => {
      expect(await challenge(srv, '/v2/')).to.deep.equal([
        401,
        `Bearer realm="${srv.url}/v2/token",service="appshelf"`,
      ]);
    });
  });
});
