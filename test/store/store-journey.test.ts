/**
 * What the store issue must show, from the outside: every broken RAM sample is refused at push
 * with the documented reason and leaves nothing indexed or tagged; a pushed app, packaged and
 * listed, is found by a word of its introduction and by a prefix of its name, installs count once
 * per install and visits once per visitor per day.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { expect } from 'chai';
import { api, loginWithPhone } from '../helpers/accounts.js';
import { TestRegistryClient } from '../helpers/registry-client.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { pushApp } from '../web/push-app.js';
import { INVALID_SAMPLE_REASONS, RAM_SAMPLES } from '../helpers/ram-samples.js';
import { putTemplate } from './app-pushes.js';

const INVALID = new URL('invalid/', RAM_SAMPLES);

describe('store: what a publisher and an installer meet', function () {
  this.timeout(60_000);
  let srv: TestServer;
  let reg: TestRegistryClient;

  before(async () => {
    srv = await startTestServer();
    reg = new TestRegistryClient(srv.url, { username: 'admin', password: ADMIN_KEY });
  });
  after(() => srv?.close());

  it('refuses every broken sample at push with the documented reason, indexing nothing', async () => {
    const files = readdirSync(INVALID).sort();
    expect(files).to.deep.equal(Object.keys(INVALID_SAMPLE_REASONS).sort());
    for (const file of files) {
      const repo = `admin/broken-${file.replace('.json', '')}`;
      const { res } = await putTemplate(reg, repo, readFileSync(new URL(file, INVALID)), '1.0.0');
      const body = (await res.json()) as { errors: { code: string; message: string }[] };
      expect([res.status, body.errors[0]?.code], file).to.deep.equal([400, 'MANIFEST_INVALID']);
      expect(body.errors[0]?.message, file).to.equal(
        `invalid template: ${INVALID_SAMPLE_REASONS[file]}`,
      );
      const tags = await reg.request('GET', `/v2/${repo}/tags/list`);
      const listed = tags.status === 200 ? ((await tags.json()) as { tags: string[] }).tags : [];
      expect(listed, file).to.deep.equal([]);
      const app = await api(srv, 'GET', `/api/v1/apps/${repo}`, { bearer: ADMIN_KEY });
      expect(app.status, file).to.equal(404);
    }
    const found = await api<{ total: number }>(srv, 'GET', '/api/v1/search?q=notes', {
      bearer: ADMIN_KEY,
    });
    expect(found.body.total).to.equal(0);
  });

  it('finds a listed app by its introduction and a name prefix; counts installs and visits', async () => {
    const { token } = await loginWithPhone(srv, '+4915112349901', 'wanda');
    const key = await api<{ key: string }>(srv, 'POST', '/api/v1/keys', {
      bearer: token,
      body: { name: 'push', scopes: ['push'] },
    });
    const publisher = new TestRegistryClient(srv.url, {
      username: 'wanda',
      password: key.body.key,
    });
    await pushApp(publisher, 'wanda/lighthouse', '1.0.0');
    const app = '/api/v1/apps/wanda/lighthouse';
    const edit = await api(srv, 'PATCH', app, {
      bearer: token,
      body: { displayName: 'Lighthouse', introduction: 'Keeps **seafaring** dashboards bright.' },
    });
    expect(edit.status, edit.text).to.equal(200);
    const pkg = await api(srv, 'POST', `${app}/packages`, {
      bearer: token,
      body: { name: '1.0.0', type: 'free', versions: ['1.0.0'] },
    });
    expect(pkg.status, pkg.text).to.equal(201);
    expect(
      (await api(srv, 'PUT', `${app}/shelf`, { bearer: token, body: { listed: true } })).status,
    ).to.equal(200);

    type Found = { total: number; items: { namespace: string; name: string }[] };
    for (const q of ['seafaring', 'lightho']) {
      const found = await api<Found>(srv, 'GET', `/api/v1/search?q=${q}`);
      expect(found.status, found.text).to.equal(200);
      expect(
        found.body.items.map((i) => `${i.namespace}/${i.name}`),
        q,
      ).to.deep.equal(['wanda/lighthouse']);
    }

    const install = await api<{ apps: { share_image: string }[] }>(
      srv,
      'GET',
      `${app}/versions/1.0.0/install`,
      { bearer: token },
    );
    expect(install.status, install.text).to.equal(200);
    expect(install.body.apps[0]!.share_image).to.match(
      new RegExp(`^${srv.host}/wanda/lighthouse@sha256:[0-9a-f]{64}$`),
    );

    const visit = (headers: Record<string, string>) =>
      api(srv, 'POST', `${app}/visit`, { headers });
    await visit({ 'user-agent': 'visitor-a' });
    await visit({ 'user-agent': 'visitor-a' });
    await visit({ 'user-agent': 'visitor-b' });
    const read = await api<{ installs: number; visits: number }>(srv, 'GET', app);
    expect([read.body.installs, read.body.visits]).to.deep.equal([1, 2]);
  });
});
