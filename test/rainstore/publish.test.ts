/**
 * Publishing from Rainbond, end to end with a real registry client: create an app, ask apphubinfo
 * where to push, push an image there with skopeo and the returned credentials (as Rainbond's
 * builder does), publish a version naming it, then install: the template points at the store's
 * copy by its store-kept tag, and its pull-only credentials pull it and cannot push. Then who may
 * do what: 403 for every missing right, 404 for what a caller may not see, never 401.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { api } from '../helpers/accounts.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { run, toolAvailable } from '../helpers/tools.js';
import { clientHome, type ClientHome } from '../clients/client-env.js';
import { LayoutBuilder } from '../clients/oci-layout-builder.js';
import { person, shelve, type Person } from './people.js';
import {
  RainstoreClient,
  expectError,
  type RsAppDetail,
  type RsHubInfo,
  type RsNewVersion,
} from './client.js';

const SERVICE_ID = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const SERVICE_KEY = '0f9e8d7c6b5a49382716f5e4d3c2b1a0';
const BUILD_VERSION = '20260801090000';

describe('rainstore: publish from Rainbond and install', function () {
  this.timeout(60_000);
  let srv: TestServer | undefined;
  let home: ClientHome | undefined;
  let rs: RainstoreClient;
  let alice: Person;
  let bob: Person;
  let app: RsAppDetail;
  let hub: RsHubInfo;
  let pushed: string;

  const skopeo = (args: string[], allowFailure = false) =>
    run('skopeo', ['--policy', home!.policy, ...args], {
      env: home!.env,
      timeoutMs: 50_000,
      allowFailure,
    });
  const newVersion = (image: string): RsNewVersion => ({
    version: '1.0.0',
    versionAlias: '',
    description: 'from rainbond',
    rainbondVersion: 'v6.3.0-release',
    templateType: 'RAM',
    arch: 'amd64',
    is_plugin: false,
    template: {
      group_key: 'ignored, the envelope wins',
      group_name: 'notes',
      group_version: '0.0.0',
      template_version: 'v2',
      apps: [
        {
          service_id: SERVICE_ID,
          service_key: SERVICE_KEY,
          service_cname: 'web',
          extend_method: 'stateless_multiple',
          share_image: image,
          service_image: {
            hub_url: hub.hubURL,
            namespace: hub.namespace,
            hub_user: hub.hubUser,
            hub_password: hub.hubPassword,
            is_trust: false,
          },
        },
      ],
    },
  });

  before(async function () {
    if (!toolAvailable('skopeo')) this.skip();
    home = await clientHome('rainstore');
    srv = await startTestServer({ rainstore: { marketDomain: 'acme', marketName: 'Acme Store' } });
    rs = new RainstoreClient(srv.url, 'acme');
    alice = await person(srv, '+4915112349911', 'alice');
    bob = await person(srv, '+4915112349912', 'bob');
  });
  after(async () => {
    await srv?.close();
    if (home) await rm(home.dir, { recursive: true, force: true });
  });

  it('create app, apphubinfo, skopeo push with its credentials, publish the version', async () => {
    app = (
      await rs
        .as(alice.keys.push)
        .createApp({ name: 'Notes', desc: 'notes', publishType: 'public', tags: [] })
    ).body;
    const info = await rs.as(alice.keys.push).hubInfo(app.appKeyID);
    expect(info.status).to.equal(200);
    hub = info.body;
    const layout = new LayoutBuilder(join(home!.dir, 'src'));
    layout.tag(layout.image(), 'web');
    await layout.save();
    pushed = `${hub.hubURL}/${hub.namespace}/${SERVICE_ID}:${BUILD_VERSION}`;
    await skopeo([
      'copy',
      '--quiet',
      '--dest-tls-verify=false',
      '--dest-creds',
      `${hub.hubUser}:${hub.hubPassword}`,
      `oci:${layout.dir}:web`,
      `docker://${pushed}`,
    ]);
    const made = await rs.as(alice.keys.push).createVersion(app.appKeyID, newVersion(pushed));
    expect(made.status, JSON.stringify(made.body)).to.equal(200);
    expect(made.body).to.include({ appVersion: '1.0.0', enable: true });
  });

  it('the stored version is a ready appshelf version and holds no push secret', async () => {
    const stored = await api<{
      state: string;
      template: unknown;
      components: { serviceKey: string; imageDigest: string }[];
    }>(srv!, 'GET', `/api/v1/apps/${hub.namespace}/versions/1.0.0`, { bearer: alice.session });
    expect(stored.status, stored.text).to.equal(200);
    expect(stored.body.state).to.equal('ready');
    expect(stored.body.components.map((c) => c.serviceKey)).to.deep.equal([SERVICE_KEY]);
    expect(stored.text).to.not.include(hub.hubPassword);
    const install = await api(srv!, 'GET', `/api/v1/apps/${hub.namespace}/versions/1.0.0/install`, {
      bearer: alice.session,
    });
    expect(install.status, install.text).to.equal(200);
  });

  it('installs from the store copy by tag; its pull credentials pull and cannot push', async () => {
    const got = await rs
      .as(alice.keys.install)
      .getVersion(app.appKeyID, '1.0.0', { forInstall: true, getTemplate: true });
    expect(got.status).to.equal(200);
    const t = JSON.parse(got.body.template) as {
      group_key: string;
      apps: { share_image: string; service_image: { hub_user: string; hub_password: string } }[];
    };
    const part = t.apps[0]!;
    expect(t.group_key).to.equal(app.appKeyID);
    expect(part.share_image).to.equal(`${srv!.host}/${hub.namespace}:1.0.0-${SERVICE_KEY}`);
    expect(part.service_image.hub_password).to.be.a('string').and.not.equal(hub.hubPassword);
    const creds = `${part.service_image.hub_user}:${part.service_image.hub_password}`;
    const inspect = (ref: string) =>
      skopeo([
        'inspect',
        '--tls-verify=false',
        '--creds',
        creds,
        '--format',
        '{{.Digest}}',
        `docker://${ref}`,
      ]);
    expect((await inspect(part.share_image)).stdout.trim()).to.equal(
      (await inspect(pushed)).stdout.trim(),
    );
    const push = await skopeo(
      [
        'copy',
        '--quiet',
        '--src-tls-verify=false',
        '--dest-tls-verify=false',
        '--src-creds',
        creds,
        '--dest-creds',
        creds,
        `docker://${part.share_image}`,
        `docker://${srv!.host}/${hub.namespace}/other:1`,
      ],
      true,
    );
    expect(push.code).to.not.equal(0);
    const overwrite = await skopeo(
      [
        'copy',
        '--quiet',
        '--src-tls-verify=false',
        '--dest-tls-verify=false',
        '--src-creds',
        creds,
        '--dest-creds',
        `${hub.hubUser}:${hub.hubPassword}`,
        `docker://${part.share_image}`,
        `docker://${srv!.host}/${hub.namespace}:2.0.0`,
      ],
      true,
    );
    expect(
      overwrite.code,
      'push credentials push under the app only, never its own tags',
    ).to.not.equal(0);
  });

  it('permissions: read and install keys may not publish, others may not touch the app, no key is OnlyRead', async () => {
    await shelve(srv!, alice, hub.namespace, '1.0.0');
    const id = app.appKeyID;
    const version = newVersion(pushed);
    for (const key of [
      alice.keys.read,
      alice.keys.install,
      bob.keys.push,
      undefined,
      'ask_revoked-or-never-existed-000',
    ]) {
      const as = rs.as(key);
      expectError(await as.createVersion(id, version), 403);
      expectError(await as.hubInfo(id), 403);
      expectError(await as.updateApp(id, { desc: 'mine now' }), 403);
    }
    for (const key of [alice.keys.read, alice.keys.install, undefined])
      expectError(await rs.as(key).createApp({ name: 'Other' }), 403);
    for (const key of [alice.keys.read, undefined])
      expectError(
        await rs.as(key).getVersion(id, '1.0.0', { forInstall: true, getTemplate: true }),
        403,
      );
    expect(
      (
        await rs
          .as(bob.keys.install)
          .getVersion(id, '1.0.0', { forInstall: false, getTemplate: true })
      ).status,
    ).to.equal(200);
    expect((await rs.info()).body.accessActions).to.deep.equal(['OnlyRead']);
    expect((await rs.getApp(id)).status, 'a listed app is readable anonymously').to.equal(200);
    const hidden = (await rs.as(alice.keys.push).createApp({ name: 'Hidden' })).body;
    expectError(await rs.as(bob.keys.push).hubInfo(hidden.appKeyID), 404);
    expectError(await rs.as(bob.keys.push).getApp(hidden.appKeyID), 404);
  });

  it('a revoked key gets 403 at once', async () => {
    const keys = await api<{ keys: { id: number; name: string }[] }>(srv!, 'GET', '/api/v1/keys', {
      bearer: alice.session,
    });
    const push = keys.body.keys.find((k) => k.name === 'rainstore push')!;
    expect(
      (await api(srv!, 'DELETE', `/api/v1/keys/${push.id}`, { bearer: alice.session })).status,
    ).to.equal(204);
    expectError(await rs.as(alice.keys.push).hubInfo(app.appKeyID), 403);
    expect((await rs.as(alice.keys.push).info()).body.accessActions).to.deep.equal(['OnlyRead']);
  });

  it('answered no 401, ever', () => {
    expect(RainstoreClient.statuses.filter((s) => s.status === 401)).to.deep.equal([]);
  });
});
