/**
 * The Rainstore OpenAPI against ../shared/rainstore-api.md, through a client written from that
 * contract alone: every endpoint, the fields the SDK requires and their types, casing, Python
 * booleans, paging with pageSize -1, the template as a string, ISO dates, lists never null,
 * `{code, msg}` errors, and never a 401.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { TestRegistryClient } from '../helpers/registry-client.js';
import { person, shelve, type Person } from './people.js';
import {
  RainstoreClient,
  expectAppBase,
  expectAppDetail,
  expectError,
  expectIso,
  expectVersionBase,
  expectVersionDetail,
  type RsAppDetail,
  type RsHubInfo,
  type RsNewVersion,
} from './client.js';

const SAMPLE = new URL('../fixtures/ram/valid/minimal.json', import.meta.url);
const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  randomBytes(64),
]);
const SERVICE = 'f8d5286dc7cf7f129f1439cd706c3c4c';

describe('rainstore: the OpenAPI contract', function () {
  this.timeout(60_000);
  let srv: TestServer;
  let rs: RainstoreClient;
  let pub: Person;
  let app: RsAppDetail;
  let hub: RsHubInfo;
  let shareImage: string;

  const template = (image: string) => {
    const t = JSON.parse(readFileSync(SAMPLE, 'utf8')) as {
      apps: Record<string, unknown>[];
    } & Record<string, unknown>;
    t.apps[0]!.share_image = image;
    t.apps[0]!.extend_method_map = { container_cpu: 250, init_memory: 512, min_node: 2 };
    return t;
  };
  const version = (v: string, image: string, extra: Partial<RsNewVersion> = {}): RsNewVersion => ({
    version: v,
    versionAlias: 'stable',
    description: 'first release',
    rainbondVersion: 'v6.3.0-release',
    templateType: 'RAM',
    template: template(image),
    arch: 'amd64',
    is_plugin: false,
    ...extra,
  });

  before(async () => {
    srv = await startTestServer({
      registry: { anonymousPull: true },
      rainstore: { marketDomain: 'acme', marketName: 'Acme Store' },
    });
    rs = new RainstoreClient(srv.url, 'acme');
    pub = await person(srv, '+4915112349901', 'wpteam');
  });
  after(() => srv?.close());

  it('healthz says isRainstore to a credentialed browser (CORS with the origin, not *), also on OPTIONS and //app-server', async () => {
    const origin = 'http://console.example:7070';
    const got = await rs.call<{ code: number; msg: string; isRainstore: boolean }>(
      'GET',
      '/app-server/openapi/healthz',
      { domain: false, headers: { Origin: origin } },
    );
    expect([got.status, got.body]).to.deep.equal([
      200,
      { code: 200, msg: 'ok', isRainstore: true },
    ]);
    expect(got.headers.get('access-control-allow-origin')).to.equal(origin);
    expect(got.headers.get('access-control-allow-credentials')).to.equal('true');
    expect(got.headers.get('vary')).to.match(/origin/i);
    const pre = await fetch(`${srv.url}/app-server/openapi/healthz`, {
      method: 'OPTIONS',
      headers: { Origin: origin, 'Access-Control-Request-Method': 'GET' },
    });
    expect(pre.status).to.equal(200);
    expect(pre.headers.get('access-control-allow-origin')).to.equal(origin);
    const doubled = await fetch(`${srv.url}//app-server/openapi/healthz`);
    expect(((await doubled.json()) as { isRainstore: boolean }).isRainstore).to.equal(true);
  });

  it('info: name, status 1, createTime, and cumulative accessActions per key scope (anonymous and dead keys OnlyRead)', async () => {
    const anon = await rs.info();
    expect(anon.status).to.equal(200);
    expect(anon.body).to.include({ name: 'Acme Store', status: 1 });
    expect(anon.body.description).to.be.a('string');
    expectIso(anon.body.createTime, 'createTime');
    const actions = async (key: string | undefined) => (await rs.as(key).info()).body.accessActions;
    expect(anon.body.accessActions).to.deep.equal(['OnlyRead']);
    expect(await actions(pub.keys.read)).to.deep.equal(['OnlyRead']);
    expect(await actions(pub.keys.install)).to.deep.equal(['OnlyRead', 'ReadInstall']);
    expect(await actions(pub.keys.push)).to.deep.equal(['OnlyRead', 'ReadInstall', 'Write']);
    expect(await actions('ask_not-a-key-at-all-000000000000')).to.deep.equal(['OnlyRead']);
    expectError(await new RainstoreClient(srv.url, 'other').info(), 404);
  });

  it('bindablemarkets: a bare non-empty array for a valid key; 403 without one; organizations a bare array', async () => {
    const got = await rs.as(pub.keys.read).bindableMarkets();
    expect(got.status).to.equal(200);
    expect(got.body).to.be.an('array').with.lengthOf(1);
    expect(got.body[0]).to.deep.equal({
      name: 'Acme Store',
      url: srv.url,
      domain: 'acme',
      logo: '',
      desc: '',
    });
    expectError(await rs.bindableMarkets(), 403);
    expectError(await rs.as('ask_not-a-key-at-all-000000000000').bindableMarkets(), 403);
    const orgs = await rs.as(pub.keys.read).organizations();
    expect([orgs.status, Array.isArray(orgs.body)]).to.deep.equal([200, true]);
  });

  it('POST /apps creates an app from a Write key, with a data-URI logo; others get 403, a non-image logo 400', async () => {
    const body = {
      name: 'WordPress',
      desc: 'Blog',
      introduction: '# WordPress\n<script>x</script>',
      logo: `data:image/png;base64,${PNG.toString('base64')}`,
      publishType: 'private' as const,
      tags: ['cms'],
    };
    expectError(await rs.createApp(body), 403);
    expectError(await rs.as(pub.keys.install).createApp(body), 403);
    expectError(
      await rs.as(pub.keys.push).createApp({
        ...body,
        logo: `data:image/png;base64,${Buffer.from('not an image').toString('base64')}`,
      }),
      400,
    );
    const made = await rs.as(pub.keys.push).createApp(body);
    expect(made.status, JSON.stringify(made.body)).to.equal(200);
    app = made.body;
    expectAppDetail(app);
    expect(app).to.include({
      name: 'WordPress',
      desc: 'Blog',
      publishType: 'private',
      marketName: 'Acme Store',
      marketURL: srv.url,
    });
    expect(app.versions).to.deep.equal([]);
    expect(app.tags).to.deep.equal(['cms']);
    expect(app.introductionHTML).to.include('<h1>WordPress</h1>').and.not.include('<script>');
    const logo = await fetch(app.logo, { headers: { Authorization: `Bearer ${pub.session}` } });
    expect([logo.status, Buffer.from(await logo.arrayBuffer()).equals(PNG)]).to.deep.equal([
      200,
      true,
    ]);
    const chinese = await rs.as(pub.keys.push).createApp({ name: '博客', publishType: 'private' });
    expect(chinese.status).to.equal(200);
    expectError(await rs.as(pub.keys.push).createApp({ name: '-bad-' }), 400);
  });

  it('GET and PUT /apps/{id}: owner sees the private app, anonymous gets 404, a read key cannot change it', async () => {
    expectAppDetail((await rs.as(pub.keys.read).getApp(app.appKeyID)).body);
    expectError(await rs.getApp(app.appKeyID), 404);
    expectError(await rs.as(pub.keys.read).getApp('0'.repeat(32)), 404);
    expectError(await rs.as(pub.keys.read).updateApp(app.appKeyID, { desc: 'x' }), 403);
    const changed = await rs.as(pub.keys.push).updateApp(app.appKeyID, {
      name: 'WordPress',
      desc: 'A blog',
      introduction: '',
      publishType: 'private',
    });
    expect(changed.status).to.equal(200);
    expect(changed.body.desc).to.equal('A blog');
  });

  it('apphubinfo gives Write keys this registry, a namespace and push credentials that push there', async () => {
    expectError(await rs.as(pub.keys.install).hubInfo(app.appKeyID), 403);
    const got = await rs.as(pub.keys.push).hubInfo(app.appKeyID);
    expect(got.status).to.equal(200);
    hub = got.body;
    expect(hub.hubURL).to.equal(srv.host);
    expect(hub.isTrust).to.equal(false);
    for (const f of ['namespace', 'hubUser', 'hubPassword'] as const)
      expect(hub[f]).to.be.a('string').with.length.within(1, 255);
    shareImage = `${hub.hubURL}/${hub.namespace}/${SERVICE}:20260801090000`;
    const registry = new TestRegistryClient(srv.url, {
      username: hub.hubUser,
      password: hub.hubPassword,
    });
    await registry.pushImage(`${hub.namespace}/${SERVICE}`, '20260801090000');
  });

  it('POST versions: 400 {code,msg} naming the template path, and for an image missing from the store', async () => {
    const broken = template(shareImage) as { apps: Record<string, unknown>[] };
    delete broken.apps[0]!.service_key;
    const bad = await rs
      .as(pub.keys.push)
      .createVersion(app.appKeyID, version('1.0.0', shareImage, { template: broken }));
    expectError(bad, 400);
    expect((bad.body as unknown as { msg: string }).msg).to.match(
      /^invalid template: apps\[0\]\.service_key: /,
    );
    const missing = await rs
      .as(pub.keys.push)
      .createVersion(
        app.appKeyID,
        version('1.0.0', `${hub.hubURL}/${hub.namespace}/${SERVICE}:nope`),
      );
    expectError(missing, 400);
    expect((missing.body as unknown as { msg: string }).msg).to.include('apps[0].share_image');
    expectError(
      await rs.as(pub.keys.install).createVersion(app.appKeyID, version('1.0.0', shareImage)),
      403,
    );
  });

  it('POST versions creates, and re-publishing upserts: same createTime, later updateTime, updateVersion + 1', async () => {
    const first = await rs
      .as(pub.keys.push)
      .createVersion(app.appKeyID, version('1.0.0', shareImage));
    expect(first.status, JSON.stringify(first.body)).to.equal(200);
    expect(first.body.id).to.be.a('string').and.not.equal('');
    expectVersionBase(first.body);
    expect(first.body).to.include({
      appKeyID: app.appKeyID,
      appVersion: '1.0.0',
      appVersionAlias: 'stable',
      enable: true,
      updateVersion: 1,
      cpu: 500,
      memory: 1024,
    });
    const again = await rs.as(pub.keys.push).createVersion(
      app.appKeyID,
      version('1.0.0', shareImage, {
        template: JSON.stringify(template(shareImage)),
        versionAlias: 'lts',
      }),
    );
    expect(again.status).to.equal(200);
    expect(again.body).to.include({
      appVersionAlias: 'lts',
      updateVersion: 2,
      createTime: first.body.createTime,
    });
    expect(Date.parse(again.body.updateTime)).to.be.greaterThan(Date.parse(first.body.updateTime));
  });

  it('versions list and detail: template "" unless asked, a JSON string with store tag references for ReadInstall', async () => {
    const list = await rs.as(pub.keys.read).listVersions(app.appKeyID);
    expect(list.body.versions).to.have.lengthOf(1);
    expectVersionBase(list.body.versions[0]!);
    const plain = await rs
      .as(pub.keys.read)
      .getVersion(app.appKeyID, '1.0.0', { forInstall: false, getTemplate: false });
    expectVersionDetail(plain.body);
    expect(plain.body).to.include({
      template: '',
      version: '1.0.0',
      versionAlias: 'lts',
      appName: 'WordPress',
      marketID: app.marketID,
    });
    expectError(
      await rs
        .as(pub.keys.read)
        .getVersion(app.appKeyID, '1.0.0', { forInstall: true, getTemplate: true }),
      403,
    );
    expectError(
      await rs
        .as(pub.keys.read)
        .getVersion(app.appKeyID, '9.9.9', { forInstall: false, getTemplate: false }),
      404,
    );
    for (let i = 0; i < 2; i++) {
      const got = await rs
        .as(pub.keys.install)
        .getVersion(app.appKeyID, '1.0.0', { forInstall: true, getTemplate: true });
      expect(got.status).to.equal(200);
      expect(got.body.template).to.be.a('string');
      const t = JSON.parse(got.body.template) as {
        group_key: string;
        group_version: string;
        apps: { share_image: string; service_image: Record<string, unknown> }[];
      };
      expect([t.group_key, t.group_version]).to.deep.equal([app.appKeyID, '1.0.0']);
      const repo = hub.namespace;
      expect(t.apps[0]!.share_image).to.equal(`${srv.host}/${repo}:1.0.0-${SERVICE}`);
      expect(t.apps[0]!.service_image).to.include({ hub_url: srv.host, is_trust: false });
      expect(t.apps[0]!.service_image.hub_password).to.not.equal(hub.hubPassword);
    }
    const counted = await rs.as(pub.keys.read).getApp(app.appKeyID);
    expect(counted.body.installCount, 'one install in ten minutes per key').to.equal(1);
  });

  it('GET /apps: queryAll, query, arch, paging with pageSize -1, newest change first, never-null lists', async () => {
    const owner = rs.as(pub.keys.push);
    const browse = await owner.listApps({ queryAll: 'False', page: '1', pageSize: '10' });
    expect(browse.body).to.include({ page: 1, pageSize: 10, total: 1 });
    browse.body.apps.forEach((a, i) => expectAppBase(a, `apps[${i}]`));
    expect(browse.body.apps[0]!.versions.map((v) => v.appVersion)).to.deep.equal(['1.0.0']);
    const all = await owner.listApps({ queryAll: 'True', page: '1', pageSize: '-1' });
    expect(all.body).to.include({ page: 1, pageSize: -1, total: 2 });
    expect(all.body.apps.map((a) => a.name)).to.deep.equal(['WordPress', '博客']);
    const second = await owner.listApps({ queryAll: 'true', page: '2', pageSize: '1' });
    expect(second.body.apps.map((a) => a.name)).to.deep.equal(['博客']);
    expect(second.body.apps[0]!.versions).to.deep.equal([]);
    expect((await owner.listApps({ queryAll: 'False', query: 'CMS' })).body.total).to.equal(1);
    expect(
      (await owner.listApps({ queryAll: 'False', query: 'nothing-like-it' })).body,
    ).to.deep.include({ apps: [], total: 0 });
    expect((await owner.listApps({ queryAll: 'False', arch: 'arm64' })).body.total).to.equal(0);
    expect((await owner.listApps({ queryAll: 'False', arch: 'amd64' })).body.total).to.equal(1);
    expect((await rs.listApps({ queryAll: 'False' })).body).to.deep.include({
      apps: [],
      total: 0,
      page: 1,
      pageSize: 10,
    });
  });

  it('a listed public app: anonymous browses it, and /cmd installs it without credentials', async () => {
    await shelve(srv, pub, hub.namespace, '1.0.0');
    await rs.as(pub.keys.push).updateApp(app.appKeyID, { publishType: 'public' });
    const anon = await rs.listApps({ queryAll: 'False' });
    expect(anon.body.apps.map((a) => [a.appKeyID, a.status, a.devStatus])).to.deep.equal([
      [app.appKeyID, 'on', 'release'],
    ]);
    const cmd = await rs.cmd(app.marketID, app.appKeyID, '1.0.0');
    expect(cmd.status).to.equal(200);
    expect(cmd.body.arch).to.equal('amd64');
    const t = JSON.parse(cmd.body.cmd) as {
      group_key: string;
      group_name: string;
      apps: { service_image: Record<string, unknown> }[];
    };
    expect([t.group_key, t.group_name]).to.deep.equal([app.appKeyID, 'hello']);
    expect(t.apps[0]!.service_image).to.include({ hub_user: '', hub_password: '' });
    expect((await rs.cmd('acme', app.appKeyID, '1.0.0')).status).to.equal(200);
    expectError(await rs.cmd('elsewhere', app.appKeyID, '1.0.0'), 404);
    expectError(await rs.cmd(app.marketID, app.appKeyID, '2.0.0'), 404);
  });

  it('unknown paths answer 404 {code,msg} and are logged; platform plugins are an empty list', async () => {
    expectError(await rs.call('GET', '/app-server/openapi/apps/templates'), 404);
    expectError(await rs.call('GET', '/app-server/openapi/no/such/thing'), 404);
    expect(srv.logs.some((l) => l.includes('rainstore: no such endpoint'))).to.equal(true);
    expect(srv.logs.some((l) => l.includes('appID is not 32 hex characters'))).to.equal(true);
    const plugins = await rs.call<{ plugins: unknown[] }>(
      'GET',
      '/app-server/openapi/apps/platform-plugins',
      { query: { pageSize: '-1' } },
    );
    expect(plugins.body).to.deep.equal({ plugins: [] });
  });

  it('answered no 401, ever', () => {
    expect(RainstoreClient.statuses.filter((s) => s.status === 401)).to.deep.equal([]);
  });
});
