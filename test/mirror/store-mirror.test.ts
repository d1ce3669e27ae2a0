/**
 * The store mirror (issue 14 §2), from the outside: two real stores on loopback, the mirror
 * reaching the upstream through a counting proxy. Three versions are published upstream with a
 * listing; a mirror with the range >=2.0.0 holds the two in range with the same digests (bundle,
 * template, both platforms of the component, its signature) and the same listing, and not the
 * third; a version published later arrives on the next run, one deleted upstream stays, marked.
 * Mirrored apps refuse pushes and edits; the admin routes are for admins.
 */
import { expect } from 'chai';
import { api } from '../helpers/accounts.js';
import { TestRegistryClient } from '../helpers/registry-client.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { startCountingProxy, type CountingProxy } from './counting-proxy.js';
import { LOGO, publishVersion, setListing, type Published } from './upstream-app.js';
import { readKey, runMirror, type MirrorItem } from './mirror-calls.js';

const APP = 'acme/web';

describe('store mirror: following an upstream store', function () {
  this.timeout(60_000);
  let upstream: TestServer;
  let proxy: CountingProxy;
  let mirror: TestServer;
  let up: TestRegistryClient;
  let down: TestRegistryClient;
  const published = new Map<string, Published>();

  before(async () => {
    upstream = await startTestServer();
    const org = await api(upstream, 'POST', '/api/v1/orgs', {
      bearer: ADMIN_KEY,
      body: { name: 'acme', displayName: 'Acme' },
    });
    expect(org.status, org.text).to.equal(201);
    up = new TestRegistryClient(upstream.url);
    for (const v of ['1.0.0', '2.0.0', '2.1.0']) published.set(v, await publishVersion(up, APP, v));
    await setListing(upstream, APP, '2.0.0');
    proxy = await startCountingProxy(upstream.host);
    mirror = await startTestServer({
      mirror: {
        upstreams: [
          {
            name: 'public',
            url: proxy.url,
            key: await readKey(upstream),
            apps: ['acme/*'],
            versions: '>=2.0.0',
            intervalSeconds: 0,
          },
        ],
      },
    });
    down = new TestRegistryClient(mirror.url);
  });
  after(async () => {
    await mirror?.close();
    await proxy?.close();
    await upstream?.close();
  });

  it('copies the versions in range byte-exact, tagged, and leaves the one out of range', async () => {
    const item = await runMirror(mirror, 'public');
    expect(item.lastRun?.error ?? null).to.equal(null);
    expect(item.apps.map((a) => [a.app, a.versions])).to.deep.equal([[APP, ['2.1.0', '2.0.0']]]);
    for (const v of ['2.0.0', '2.1.0']) {
      const p = published.get(v)!;
      for (const [reference, digest] of [
        [v, p.bundle],
        [p.component, p.component],
        [p.signature, p.signature],
      ] as const) {
        const [a, b] = await Promise.all([
          manifest(up, APP, reference),
          manifest(down, APP, reference),
        ]);
        expect(b.status, `${v} ${reference} on the mirror`).to.equal(200);
        expect(b.digest).to.equal(digest);
        expect(b.bytes.equals(a.bytes), `${reference} byte-exact`).to.equal(true);
      }
      for (const blob of p.blobs) {
        const res = await down.request('HEAD', `/v2/${APP}/blobs/${blob}`);
        expect(res.status, `blob ${blob} of ${v}`).to.equal(200);
      }
      const referrers = await down.request('GET', `/v2/${APP}/referrers/${p.component}`);
      const list = (await referrers.json()) as { manifests: { digest: string }[] };
      expect(list.manifests.map((m) => m.digest)).to.deep.equal([p.signature]);
    }
    expect((await manifest(down, APP, '1.0.0')).status).to.equal(404);
    const gone = await api(mirror, 'GET', `/api/v1/apps/${APP}/versions/1.0.0`, {
      bearer: ADMIN_KEY,
    });
    expect(gone.status).to.equal(404);
  });

  it('indexes them like a push: versions ready with the same digests, installable', async () => {
    const [a, b] = await Promise.all(
      [upstream, mirror].map((s) =>
        api<{ versions: { version: string; manifestDigest: string; state: string }[] }>(
          s,
          'GET',
          `/api/v1/apps/${APP}/versions`,
          { bearer: ADMIN_KEY },
        ),
      ),
    );
    const shown = (list: { version: string; manifestDigest: string; state: string }[]) =>
      list.map((v) => [v.version, v.manifestDigest, v.state]);
    expect(shown(b!.body.versions)).to.deep.equal(
      shown(a!.body.versions.filter((v) => v.version !== '1.0.0')),
    );
    const install = await api<{ apps: { share_image: string }[] }>(
      mirror,
      'GET',
      `/api/v1/apps/${APP}/versions/2.0.0/install`,
      { bearer: ADMIN_KEY },
    );
    expect(install.status, install.text).to.equal(200);
    expect(install.body.apps[0]!.share_image).to.equal(
      `${mirror.host}/${APP}@${published.get('2.0.0')!.component}`,
    );
  });

  it('keeps the listing identical, says where the app comes from, counts installs here', async () => {
    const [a, b] = await Promise.all(
      [upstream, mirror].map((s) =>
        api<Record<string, unknown>>(s, 'GET', `/api/v1/apps/${APP}`, { bearer: ADMIN_KEY }),
      ),
    );
    const listing = (app: Record<string, unknown>) => ({
      displayName: app.displayName,
      summary: app.summary,
      introduction: app.introduction,
      tags: app.tags,
      categories: app.categories,
      homeUrl: app.homeUrl,
      listed: app.listed,
      onShelf: app.onShelf,
      packages: (app.packages as { name: string; versions: string[] }[]).map((p) => [
        p.name,
        p.versions,
      ]),
    });
    expect(listing(b!.body)).to.deep.equal(listing(a!.body));
    expect(b!.body.onShelf).to.equal(true);
    expect(b!.body.mirroredFrom).to.deep.equal({ upstream: 'public', url: proxy.url });
    expect(a!.body.mirroredFrom).to.equal(null);
    expect([a!.body.installs, b!.body.installs]).to.deep.equal([0, 1]);
    const logo = await fetch(`${mirror.url}/api/v1/apps/${APP}/logo`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    expect(Buffer.from(await logo.arrayBuffer()).equals(LOGO)).to.equal(true);
    const page = await fetch(`${mirror.url}/apps/${APP}`);
    expect(await page.text()).to.contain('Mirrored from');
  });

  it('refuses pushes and store API edits of a mirrored app, even to the admin', async () => {
    const push = await down.pushBlob(APP, 'not from the mirror');
    expect(push.status).to.be.oneOf([401, 403]);
    const image = await down.request('PUT', `/v2/${APP}/manifests/9.9.9`, {
      body: '{}',
      headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
    });
    expect(image.status).to.be.oneOf([401, 403]);
    const del = await down.request(
      'DELETE',
      `/v2/${APP}/manifests/${published.get('2.0.0')!.bundle}`,
    );
    expect(del.status).to.be.oneOf([401, 403]);
    for (const [method, path, body] of [
      ['PATCH', `/api/v1/apps/${APP}`, { summary: 'changed here' }],
      ['PUT', `/api/v1/apps/${APP}/shelf`, { listed: false }],
      ['POST', `/api/v1/apps/${APP}/packages`, { name: 'p', versions: ['2.0.0'] }],
      ['DELETE', `/api/v1/apps/${APP}/versions/2.0.0`, undefined],
      ['DELETE', `/api/v1/apps/${APP}`, undefined],
    ] as const) {
      const res = await api<{ error: { code: string; message: string } }>(mirror, method, path, {
        bearer: ADMIN_KEY,
        ...(body ? { body } : {}),
      });
      expect([res.status, res.body.error?.code], `${method} ${path}`).to.deep.equal([
        403,
        'forbidden',
      ]);
      expect(res.body.error.message).to.contain('mirrored from upstream "public"');
    }
    // The store's own apps are still the admin's to push.
    const own = await down.pushBlob('admin/own', 'mine');
    expect(own.status).to.equal(201);
  });

  it('brings a new upstream version on the next run; one deleted upstream stays, marked', async () => {
    published.set('2.2.0', await publishVersion(up, APP, '2.2.0'));
    const del = await api(upstream, 'DELETE', `/api/v1/apps/${APP}/versions/2.1.0`, {
      bearer: ADMIN_KEY,
    });
    expect(del.status, del.text).to.equal(200);
    const held = new Set(
      [...published.values()].filter((p) => p.version !== '1.0.0').flatMap((p) => p.blobs),
    );
    const before = new Map(proxy.blobGets);
    const item = await runMirror(mirror, 'public');
    expect(item.lastRun?.error ?? null).to.equal(null);
    expect(item.apps[0]!.versions).to.deep.equal(['2.2.0', '2.1.0', '2.0.0']);
    expect((await manifest(down, APP, '2.2.0')).digest).to.equal(published.get('2.2.0')!.bundle);
    const versions = await api<{ versions: { version: string; deletedUpstream: boolean }[] }>(
      mirror,
      'GET',
      `/api/v1/apps/${APP}/versions`,
      { bearer: ADMIN_KEY },
    );
    expect(versions.body.versions.map((v) => [v.version, v.deletedUpstream])).to.deep.equal([
      ['2.2.0', false],
      ['2.1.0', true],
      ['2.0.0', false],
    ]);
    // Blobs held after the first run were not fetched again.
    const older = [...held].filter((d) => !published.get('2.2.0')!.blobs.includes(d));
    for (const d of older) expect(proxy.blobGets.get(d) ?? 0, d).to.equal(before.get(d) ?? 0);
  });

  it('follows a version its upstream republished, into a namespace whose versions are immutable', async () => {
    const rules = await api(mirror, 'PUT', '/api/v1/namespaces/acme/immutability', {
      bearer: ADMIN_KEY,
      body: { versions: true, tagPatterns: [] },
    });
    expect(rules.status, rules.text).to.equal(200);
    const before = (await manifest(down, APP, '2.2.0')).digest;
    // The upstream's owner republishes 2.2.0 (no rule there): new bytes under the same version.
    const again = await publishVersion(up, APP, '2.2.0', 1);
    expect(again.bundle).to.not.equal(before);
    const item = await runMirror(mirror, 'public');
    expect(item.lastRun?.error ?? null).to.equal(null);
    expect((await manifest(down, APP, '2.2.0')).digest).to.equal(again.bundle);
    const audit = await api<{ entries: { actor: string; target: string; detail: unknown }[] }>(
      mirror,
      'GET',
      '/api/v1/audit?action=tag.republished&limit=50',
      { bearer: ADMIN_KEY },
    );
    expect(audit.body.entries.map((e) => [e.actor, e.target])).to.deep.include([
      'mirror:public',
      `${APP}:2.2.0`,
    ]);
    expect(audit.body.entries.find((e) => e.target === `${APP}:2.2.0`)?.detail).to.deep.include({
      mirror: 'public',
      from: before,
      to: again.bundle,
    });
    published.set('2.2.0', again);
  });

  it('admin routes: 401 without credentials, 403 for others, 404 for an unknown upstream', async () => {
    expect((await api(mirror, 'GET', '/api/v1/admin/mirror')).status).to.equal(401);
    expect((await api(mirror, 'POST', '/api/v1/admin/mirror/public/run')).status).to.equal(401);
    const key = await readKey(mirror, 'read');
    const asReader = await api(mirror, 'GET', '/api/v1/admin/mirror', { bearer: key });
    expect(asReader.status).to.equal(403);
    const unknown = await api(mirror, 'POST', '/api/v1/admin/mirror/nope/run', {
      bearer: ADMIN_KEY,
    });
    expect(unknown.status).to.equal(404);
    const status = await api<{ items: MirrorItem[] }>(mirror, 'GET', '/api/v1/admin/mirror', {
      bearer: ADMIN_KEY,
    });
    expect(status.body.items.map((i) => [i.name, i.url, i.state])).to.deep.equal([
      ['public', proxy.url, 'idle'],
    ]);
    expect(JSON.stringify(status.body)).not.to.contain('ask_');
  });
});

async function manifest(
  reg: TestRegistryClient,
  repo: string,
  reference: string,
): Promise<{ status: number; digest: string | null; bytes: Buffer }> {
  const res = await reg.request('GET', `/v2/${repo}/manifests/${reference}`, {
    headers: {
      accept: 'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json',
    },
  });
  return {
    status: res.status,
    digest: res.headers.get('docker-content-digest'),
    bytes: Buffer.from(await res.arrayBuffer()),
  };
}
