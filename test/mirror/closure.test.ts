/**
 * The whole closure of an app version crosses the mirror (issue 14 §2): the bundle graph (a
 * multi-arch and a Docker component), a plugin image under the app's plugin tag, the plugin image
 * the template names on the upstream (in its own repository, under its tag), and the referrers (a
 * signature, a signature on it, one on the plugin image). Under `into`, the app lands in a local
 * namespace the mirror creates as an organisation owned by the admin.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { appClosure, RegistryClient } from '../../registry/client/index.js';
import { pluginTag } from '../../schemas/bundle.js';
import { api } from '../helpers/accounts.js';
import { pushAppVersion, type PushedVersion } from '../helpers/app-version.js';
import { TestRegistryClient } from '../helpers/registry-client.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { readKey, runMirror } from './mirror-calls.js';

describe('store mirror: the closure of a version, under into', function () {
  this.timeout(60_000);
  let upstream: TestServer;
  let mirror: TestServer;
  let pushed: PushedVersion;
  let data: string;

  before(async () => {
    upstream = await startTestServer();
    const client = new RegistryClient({
      host: upstream.url,
      credentials: { username: 'admin', password: ADMIN_KEY },
    });
    pushed = await pushAppVersion(client, {
      repository: 'admin/wordpress',
      version: '1.2.0',
      pluginRepository: 'admin/perf-analyze',
      host: upstream.host,
    });
    data = await mkdtemp(join(tmpdir(), 'appshelf-mirror-'));
    mirror = await startTestServer(
      {
        mirror: {
          upstreams: [
            {
              name: 'public',
              url: upstream.url,
              key: await readKey(upstream),
              apps: ['admin/word*'],
              into: 'mirrored',
              intervalSeconds: 0,
            },
            {
              name: 'pruning',
              url: upstream.url,
              key: await readKey(upstream),
              apps: ['admin/wordpress'],
              into: 'pruned',
              intervalSeconds: 0,
              prune: true,
            },
          ],
        },
      },
      { data },
    );
  });
  after(async () => {
    await mirror?.close();
    await upstream?.close();
    await rm(data, { recursive: true, force: true });
  });

  it('copies bundle graph, plugin images and referrers with the same digests', async () => {
    const item = await runMirror(mirror, 'public');
    expect(item.lastRun?.error ?? null).to.equal(null);
    expect(item.apps.map((a) => [a.app, a.versions])).to.deep.equal([
      ['mirrored/wordpress', ['1.2.0']],
    ]);
    expect(item.apps[0]!.bytes).to.be.greaterThan(20_000);
    const down = new TestRegistryClient(mirror.url);
    const held = async (repo: string, digest: string): Promise<boolean> => {
      for (const kind of ['blobs', 'manifests'])
        if ((await down.request('HEAD', `/v2/${repo}/${kind}/${digest}`)).status === 200)
          return true;
      return false;
    };
    for (const d of new Set(pushed.digests))
      expect(await held('mirrored/wordpress', d), d).to.equal(true);
    for (const d of new Set(pushed.plugin.digests))
      expect(await held('mirrored/perf-analyze', d), `plugin ${d}`).to.equal(true);
    const tag = await down.request(
      'HEAD',
      `/v2/mirrored/perf-analyze/manifests/${pushed.plugin.tag}`,
      {
        headers: { accept: 'application/vnd.oci.image.index.v1+json' },
      },
    );
    expect(tag.status).to.equal(200);
    const carried = pluginTag('1.2.0', pushed.carriedPlugin.pluginKey);
    const carriedTag = await down.request('HEAD', `/v2/mirrored/wordpress/manifests/${carried}`);
    expect(carriedTag.status, 'the plugin tag in the app repository').to.equal(200);

    const mirrorClient = new RegistryClient({
      host: mirror.url,
      credentials: { username: 'admin', password: ADMIN_KEY },
    });
    const upstreamClient = new RegistryClient({
      host: upstream.url,
      credentials: { username: 'admin', password: ADMIN_KEY },
    });
    const [a, b] = await Promise.all([
      appClosure(upstreamClient, 'admin/wordpress', '1.2.0'),
      appClosure(mirrorClient, 'mirrored/wordpress', '1.2.0'),
    ]);
    const inApp = (c: typeof a, repo: string) =>
      c.items
        .filter((i) => i.repository === repo)
        .map((i) => i.digest)
        .sort();
    expect(inApp(b, 'mirrored/wordpress')).to.deep.equal(inApp(a, 'admin/wordpress'));
    expect(b.bundle.digest).to.equal(pushed.bundle.digest);
  });

  it('creates the missing local namespace as an organisation owned by the admin', async () => {
    const members = await api<{ members: { name: string; role: string }[] }>(
      mirror,
      'GET',
      '/api/v1/orgs/mirrored/members',
      { bearer: ADMIN_KEY },
    );
    expect(members.status, members.text).to.equal(200);
    expect(members.body.members.map((m) => [m.name, m.role])).to.deep.equal([['admin', 'owner']]);
  });

  it('with prune, deletes a version its upstream deleted (without prune, marks it)', async () => {
    expect((await runMirror(mirror, 'pruning')).apps[0]!.versions).to.deep.equal(['1.2.0']);
    const del = await api(upstream, 'DELETE', '/api/v1/apps/admin/wordpress/versions/1.2.0', {
      bearer: ADMIN_KEY,
    });
    expect(del.status, del.text).to.equal(200);
    const pruned = await runMirror(mirror, 'pruning');
    expect(pruned.lastRun?.error ?? null).to.equal(null);
    expect(pruned.apps[0]!.versions).to.deep.equal([]);
    const down = new TestRegistryClient(mirror.url);
    expect((await down.request('HEAD', '/v2/pruned/wordpress/manifests/1.2.0')).status).to.equal(
      404,
    );
    const kept = await runMirror(mirror, 'public');
    expect(kept.apps[0]!.versions).to.deep.equal(['1.2.0']);
    const v = await api<{ deletedUpstream: boolean }>(
      mirror,
      'GET',
      '/api/v1/apps/mirrored/wordpress/versions/1.2.0',
      { bearer: ADMIN_KEY },
    );
    expect(v.body.deletedUpstream).to.equal(true);
  });

  it('gives the apps back to the store once their upstream is no longer configured', async () => {
    const edit = () =>
      api(mirror, 'PATCH', '/api/v1/apps/mirrored/wordpress', {
        bearer: ADMIN_KEY,
        body: { summary: 'ours now' },
      });
    expect((await edit()).status).to.equal(403);
    await mirror.close();
    mirror = await startTestServer({}, { data });
    const changed = await edit();
    expect(changed.status, changed.text).to.equal(200);
    expect((changed.body as { mirroredFrom: unknown }).mirroredFrom).to.equal(null);
  });
});
