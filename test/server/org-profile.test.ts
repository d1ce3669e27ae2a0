/**
 * An organisation's public face through /api/v1/orgs: owners change its profile (display name,
 * about, website) and logo, nobody else does; each member alone shows or hides their membership,
 * and the publisher page lists only the members who showed it. Each change is audited.
 */
import { expect } from 'chai';
import { api, orgWithMaintainer, type ApiError } from '../helpers/accounts.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';

const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.from('a tiny body'),
]);

interface Org {
  name: string;
  displayName: string;
  about: string;
  website: string;
  logoUrl: string | null;
}

describe('orgs: profile, logo and who shows on the publisher page', function () {
  this.timeout(30_000);
  let srv: TestServer;
  let owner = '';
  let maintainer = '';

  before(async () => {
    srv = await startTestServer();
    ({ ownerSession: owner, maintainerSession: maintainer } = await orgWithMaintainer(
      srv,
      'harbour',
      { phone: '+4915112340501', name: 'hana' },
      { phone: '+4915112340502', name: 'ivo' },
    ));
  });

  after(async () => {
    await srv?.close();
  });

  it('owners change the profile; maintainers and others may not; a bad website is refused', async () => {
    const change = {
      displayName: 'Harbour Co',
      about: 'Apps for ports.',
      website: 'https://harbour.example',
    };
    const byMaintainer = await api<ApiError>(srv, 'PATCH', '/api/v1/orgs/harbour', {
      bearer: maintainer,
      body: change,
    });
    expect(byMaintainer.status).to.equal(403);
    const bad = await api<ApiError>(srv, 'PATCH', '/api/v1/orgs/harbour', {
      bearer: owner,
      body: { website: 'javascript:alert(1)' },
    });
    expect(bad.status).to.equal(400);
    expect(bad.body.error.code).to.equal('invalid');
    const done = await api<Org>(srv, 'PATCH', '/api/v1/orgs/harbour', {
      bearer: owner,
      body: change,
    });
    expect(done.status, done.text).to.equal(200);
    expect(done.body).to.include({ ...change, logoUrl: null });
    const read = await api<Org>(srv, 'GET', '/api/v1/orgs/harbour');
    expect(read.body).to.include(change);
  });

  it('owners set and remove the logo (PNG, JPEG, GIF or WebP by its bytes; SVG refused)', async () => {
    const svg = await api<ApiError>(srv, 'PUT', '/api/v1/orgs/harbour/logo', {
      bearer: owner,
      body: '<svg xmlns="http://www.w3.org/2000/svg"/>',
      headers: { 'content-type': 'image/svg+xml' },
    });
    expect(svg.status).to.equal(400);
    const byMaintainer = await api(srv, 'PUT', '/api/v1/orgs/harbour/logo', {
      bearer: maintainer,
      body: PNG,
      headers: { 'content-type': 'image/png' },
    });
    expect(byMaintainer.status).to.equal(403);
    const set = await api<Org>(srv, 'PUT', '/api/v1/orgs/harbour/logo', {
      bearer: owner,
      body: PNG,
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(set.status, set.text).to.equal(200);
    expect(set.body.logoUrl).to.equal('/api/v1/orgs/harbour/logo');
    const got = await fetch(`${srv.url}/api/v1/orgs/harbour/logo`);
    expect(got.headers.get('content-type')).to.equal('image/png');
    expect(Buffer.from(await got.arrayBuffer()).equals(PNG)).to.equal(true);
    const page = await (await fetch(`${srv.url}/publishers/harbour`)).text();
    expect(page).to.contain('src="/api/v1/orgs/harbour/logo"').and.contain('Apps for ports.');
    expect(
      (await api(srv, 'DELETE', '/api/v1/orgs/harbour/logo', { bearer: owner })).status,
    ).to.equal(204);
    expect((await api(srv, 'GET', '/api/v1/orgs/harbour/logo')).status).to.equal(404);
  });

  it('each member alone shows their membership; the publisher page lists only those shown', async () => {
    const before = await (await fetch(`${srv.url}/publishers/harbour`)).text();
    expect(before).to.contain('No member shows their membership yet.');
    const forOther = await api<ApiError>(
      srv,
      'PUT',
      '/api/v1/orgs/harbour/members/ivo/visibility',
      {
        bearer: owner,
        body: { public: true },
      },
    );
    expect(forOther.status, 'an owner cannot show someone else').to.equal(403);
    const shown = await api<{ members: { name: string; public: boolean }[] }>(
      srv,
      'PUT',
      '/api/v1/orgs/harbour/members/ivo/visibility',
      { bearer: maintainer, body: { public: true } },
    );
    expect(shown.status, shown.text).to.equal(200);
    expect(shown.body.members.map((m) => `${m.name} ${m.public}`)).to.deep.equal([
      'hana false',
      'ivo true',
    ]);
    const page = await (await fetch(`${srv.url}/publishers/harbour`)).text();
    const members = page.slice(page.indexOf('id="members-h"'));
    expect(members).to.contain('/publishers/ivo').and.not.contain('/publishers/hana');
    const notMember = await api<ApiError>(
      srv,
      'PUT',
      '/api/v1/orgs/harbour/members/admin/visibility',
      {
        bearer: ADMIN_KEY,
        body: { public: true },
      },
    );
    expect(notMember.status).to.equal(404);
  });

  it('audits every change', async () => {
    const audit = await api<{ entries: { actor: string; action: string; target: string }[] }>(
      srv,
      'GET',
      '/api/v1/audit?limit=500',
      { bearer: ADMIN_KEY },
    );
    const lines = audit.body.entries
      .filter((e) => e.target.startsWith('harbour'))
      .map((e) => `${e.actor} ${e.action} ${e.target}`)
      .reverse();
    expect(lines).to.include.members([
      'hana org.updated harbour',
      'hana org.logo harbour',
      'ivo member.shown harbour/ivo',
    ]);
    expect(lines.filter((l) => l.endsWith('org.logo harbour'))).to.have.length(2);
  });
});
