/**
 * What the store issue must show, from the outside: every broken RAM sample is refused at push
 * with the documented reason and leaves nothing indexed or tagged; a pushed app, packaged and
 * listed, is found by a word of its introduction and by a prefix of its name, installs count once
 * per install and visits once per visitor per day.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { expect } from 'chai';
import { BundleAnnotations, BundleTypes } from '../../schemas/bundle.js';
import { api, loginWithPhone } from '../helpers/accounts.js';
import { TestRegistryClient } from '../helpers/registry-client.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { pushApp } from '../web/push-app.js';

const INVALID = new URL('../fixtures/ram/invalid/', import.meta.url);

/** The reasons the samples' README documents, by file. */
const REASONS: Record<string, string> = {
  'no-apps-no-k8s-resources.json': 'apps: template is empty (no apps and no k8s_resources)',
  'empty-group-version.json': 'group_version: must be a non-empty string',
  'component-missing-service-key.json': 'apps[1].service_key: required',
  'component-missing-service-id.json': 'apps[1].service_id: required',
  'component-missing-extend-method.json': 'apps[1].extend_method: required',
  'component-missing-image.json': 'apps[1].share_image: share_image or image required',
  'service-image-null.json': 'apps[1].service_image: must be an object',
  'duplicate-service-key.json': 'apps[1].service_key: duplicate of apps[0]',
  'dangling-dependency.json':
    'apps[0].dep_service_map_list[0].dep_service_key: no component with this service_share_uuid',
  'ingress-unknown-component.json':
    'ingress_http_routes[0].component_key: no component with this service_key',
  'port-not-integer.json': 'apps[1].port_map_list[0].container_port: must be an integer 1-65535',
  'env-empty-attr-name.json':
    'apps[0].service_env_map_list[0].attr_name: invalid environment variable name',
  'probe-without-port.json': 'apps[1].probes[0].port: required integer >= 1',
  'k8s-resource-missing-kind.json': 'k8s_resources[0].kind: required',
  'proxy-header-not-a-map.json':
    'ingress_http_routes[0].proxy_header: must be an object of strings',
};

/** Pushes `template` as a bare template manifest (a draft) tagged `tag`; returns the PUT's answer. */
async function pushTemplate(reg: TestRegistryClient, repo: string, tag: string, template: Buffer) {
  const empty = await reg.pushBlob(repo, '{}');
  const layer = await reg.pushBlob(repo, template);
  return reg.pushManifest(repo, tag, {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    artifactType: BundleTypes.template,
    config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: empty.digest, size: 2 },
    layers: [
      {
        mediaType: BundleTypes.template,
        digest: layer.digest,
        size: template.length,
        annotations: { [BundleAnnotations.title]: 'template.json' },
      },
    ],
  });
}

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
    expect(files).to.deep.equal(Object.keys(REASONS).sort());
    for (const file of files) {
      const repo = `admin/broken-${file.replace('.json', '')}`;
      const res = await pushTemplate(reg, repo, '1.0.0', readFileSync(new URL(file, INVALID)));
      const body = (await res.json()) as { errors: { code: string; message: string }[] };
      expect([res.status, body.errors[0]?.code], file).to.deep.equal([400, 'MANIFEST_INVALID']);
      expect(body.errors[0]?.message, file).to.equal(`invalid template: ${REASONS[file]}`);
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
