/**
 * The store's app API through a real server: apps created by a push (as the indexer sees them) or
 * by POST /apps, versions in store order, install templates, visits, packages and the shelf,
 * pulls, logos, the publisher page, and deletion down to the registry's tags and manifests.
 */
import { expect } from 'chai';
import { sql } from 'drizzle-orm';
import { BundleAnnotations, BundleTypes } from '../../schemas/bundle.js';
import { sqlRun } from '../helpers/store-sql.js';
import { api, loginWithPhone, type ApiError } from '../helpers/accounts.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { sha256, TestRegistryClient } from '../helpers/registry-client.js';
import { templateArtifact } from './app-pushes.js';
import { search } from '../search/search-fixtures.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const SERVICE_KEY = 'f8d5286dc7cf7f129f1439cd706c3c4c';
const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.from('not really a png'),
]);
const SVG = Buffer.from(
  '<?xml version="1.0"?>\n<!-- logo -->\n<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"></svg>',
);

interface AppBody {
  namespace: string;
  name: string;
  displayName: string;
  tags: string[];
  homeUrl: string;
  listed: boolean;
  onShelf: boolean;
  latestVersion: string | null;
  visits: number;
  installs: number;
  pulls: number;
  logo: string | null;
  packages: { name: string; versions: string[] }[];
}

interface Pushed {
  digest: string;
  imageDigest: string;
}

function template(name: string, groupVersion: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      group_key: 'b77047a0f9b23a392e63f657fae4125a',
      group_name: name,
      group_version: groupVersion,
      apps: [
        {
          service_id: SERVICE_KEY,
          service_key: SERVICE_KEY,
          service_cname: 'web',
          extend_method: 'stateless_multiple',
          share_image: 'hub.example/acme/web:1',
        },
      ],
    }),
  );
}

/** Pushes a manifest by digest; returns its descriptor. */
async function pushByDigest(
  reg: TestRegistryClient,
  repo: string,
  manifest: object,
  mediaType = OCI_MANIFEST,
): Promise<{ mediaType: string; digest: string; size: number }> {
  const body = JSON.stringify(manifest);
  const digest = sha256(body);
  const res = await reg.pushManifest(repo, digest, body, mediaType);
  expect(res.status, await res.text()).to.equal(201);
  return { mediaType, digest, size: Buffer.byteLength(body) };
}

/** The template artifact (ARCHITECTURE.md §3), pushed by digest, or under `tag` as a draft. */
async function pushTemplate(
  reg: TestRegistryClient,
  repo: string,
  groupVersion: string,
  tag?: string,
) {
  const manifest = await templateArtifact(reg, repo, template(repo, groupVersion));
  if (!tag) return pushByDigest(reg, repo, manifest);
  const res = await reg.pushManifest(repo, tag, manifest);
  expect(res.status, await res.text()).to.equal(201);
  return { digest: res.headers.get('docker-content-digest')! };
}

/** A bundle: template + one component image, tagged `version`. */
async function pushBundle(
  reg: TestRegistryClient,
  repo: string,
  version: string,
  groupVersion = version,
): Promise<Pushed> {
  const templateDesc = await pushTemplate(reg, repo, groupVersion);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux' }));
  const layer = Buffer.from(`layer of ${repo}`);
  const c = await reg.pushBlob(repo, config);
  const l = await reg.pushBlob(repo, layer);
  const image = await pushByDigest(reg, repo, {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: {
      mediaType: 'application/vnd.oci.image.config.v1+json',
      digest: c.digest,
      size: config.length,
    },
    layers: [
      { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: l.digest, size: layer.length },
    ],
  });
  const index = {
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    artifactType: BundleTypes.bundle,
    manifests: [
      templateDesc,
      {
        ...image,
        annotations: {
          [BundleAnnotations.component]: SERVICE_KEY,
          [BundleAnnotations.source]: 'hub.example/acme/web:1',
        },
      },
    ],
    annotations: { [BundleAnnotations.version]: version },
  };
  const res = await reg.pushManifest(repo, version, index, OCI_INDEX);
  expect(res.status, await res.text()).to.equal(201);
  return { digest: res.headers.get('docker-content-digest')!, imageDigest: image.digest };
}

describe('store: apps API', function () {
  this.timeout(30_000);
  let srv: TestServer;
  let reg: TestRegistryClient;
  let alice: string;
  let bob: string;
  const pushed: Record<string, Pushed> = {};
  const path = (rest = '') => `/api/v1/apps/alice/notes${rest}`;
  const code = (r: { body: unknown }) => (r.body as ApiError).error?.code;

  before(async () => {
    srv = await startTestServer();
    reg = new TestRegistryClient(srv.url);
    alice = (await loginWithPhone(srv, '+4915112340101', 'alice')).token;
    bob = (await loginWithPhone(srv, '+4915112340102', 'bob')).token;
  });
  after(() => srv?.close());

  describe('creating and changing apps', () => {
    it('creates an app in a namespace one manages, once', async () => {
      const res = await api<AppBody>(srv, 'POST', '/api/v1/apps', {
        bearer: alice,
        body: { namespace: 'alice', name: 'draft-pad', displayName: 'Draft pad', tags: ['notes'] },
      });
      expect(res.status, res.text).to.equal(201);
      expect(res.body).to.deep.include({
        namespace: 'alice',
        name: 'draft-pad',
        displayName: 'Draft pad',
        tags: ['notes'],
        listed: false,
        onShelf: false,
        latestVersion: null,
        visits: 0,
        installs: 0,
        pulls: 0,
        packages: [],
      });
      const again = await api(srv, 'POST', '/api/v1/apps', {
        bearer: alice,
        body: { namespace: 'alice', name: 'draft-pad' },
      });
      expect([again.status, code(again)]).to.deep.equal([409, 'conflict']);
    });

    for (const [what, body, status, errorCode] of [
      [
        'a name that is no path component',
        { namespace: 'alice', name: 'Bad_Name!' },
        400,
        'invalid',
      ],
      ['a name with a slash', { namespace: 'alice', name: 'a/b' }, 400, 'invalid'],
      ['an unknown field', { namespace: 'alice', name: 'ok', colour: 'red' }, 400, 'invalid'],
      ["someone else's namespace", { namespace: 'bob', name: 'ok' }, 403, 'forbidden'],
    ] as const) {
      it(`refuses ${what}`, async () => {
        const res = await api(srv, 'POST', '/api/v1/apps', { bearer: alice, body });
        expect([res.status, code(res)]).to.deep.equal([status, errorCode]);
      });
    }

    it('refuses anonymous callers, and a namespace that does not exist', async () => {
      const anon = await api(srv, 'POST', '/api/v1/apps', {
        body: { namespace: 'alice', name: 'x' },
      });
      expect([anon.status, code(anon)]).to.deep.equal([401, 'unauthorized']);
      const none = await api(srv, 'POST', '/api/v1/apps', {
        bearer: ADMIN_KEY,
        body: { namespace: 'nobody-here', name: 'x' },
      });
      expect([none.status, code(none)]).to.deep.equal([404, 'not_found']);
    });

    it('indexes a pushed bundle as an app and changes its texts', async () => {
      pushed['1.2.0'] = await pushBundle(reg, 'alice/notes', '1.2.0', '0.0.1');
      const res = await api<AppBody>(srv, 'PATCH', path(), {
        bearer: alice,
        body: {
          displayName: 'Notes',
          summary: 'take notes',
          introduction: '# Notes\n<b>raw</b>',
          tags: ['notes', 'notes', 'text'],
          categories: ['office'],
          homeUrl: 'https://notes.example',
          publishType: 'public',
        },
      });
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.deep.include({
        displayName: 'Notes',
        tags: ['notes', 'text'],
        homeUrl: 'https://notes.example',
        latestVersion: '1.2.0',
      });
      const read = await api<AppBody & { introduction: string }>(srv, 'GET', path(), {
        bearer: alice,
      });
      expect(read.body.introduction).to.equal('# Notes\n<b>raw</b>');
      const audit = await api<{ entries: { actor: string; target: string }[] }>(
        srv,
        'GET',
        '/api/v1/audit?action=app.updated',
        { bearer: ADMIN_KEY },
      );
      expect(audit.body.entries[0]).to.include({ actor: 'alice', target: 'alice/notes' });
    });

    for (const [what, body] of [
      ['eleven tags', { tags: Array.from({ length: 11 }, (_, i) => `t${i}`) }],
      ['a long category', { categories: ['x'.repeat(33)] }],
      ['an ftp home page', { homeUrl: 'ftp://notes.example' }],
      ['an introduction over 64 KiB', { introduction: 'x'.repeat(64 * 1024 + 1) }],
      ['an unknown publish type', { publishType: 'secret' }],
    ] as const) {
      it(`refuses a change with ${what}`, async () => {
        const res = await api(srv, 'PATCH', path(), { bearer: alice, body });
        expect([res.status, code(res)]).to.deep.equal([400, 'invalid']);
      });
    }

    it('hides an unlisted app from others, and refuses their changes', async () => {
      for (const bearer of [bob, undefined]) {
        const res = await api(srv, 'GET', path(), bearer ? { bearer } : {});
        expect([res.status, code(res)]).to.deep.equal([404, 'not_found']);
      }
      const bobs = await api(srv, 'PATCH', path(), { bearer: bob, body: { summary: 'mine' } });
      expect(bobs.status).to.equal(404);
      const anon = await api(srv, 'PATCH', path(), { body: { summary: 'mine' } });
      expect([anon.status, code(anon)]).to.deep.equal([401, 'unauthorized']);
      const admin = await api(srv, 'GET', path(), { bearer: ADMIN_KEY });
      expect(admin.status).to.equal(200);
    });
  });

  describe('versions', () => {
    before(async () => {
      for (const v of ['1.10.0', 'v1.9.0', 'nightly', 'edge'])
        pushed[v] = await pushBundle(reg, 'alice/notes', v);
      await pushTemplate(reg, 'alice/notes', '2.0.0', '2.0.0');
    });

    it('lists versions by semver, highest first, then the others newest first; drafts for members only', async () => {
      const mine = await api<{ versions: { version: string; state: string }[] }>(
        srv,
        'GET',
        path('/versions'),
        { bearer: alice },
      );
      expect(mine.body.versions.map((v) => `${v.version}:${v.state}`)).to.deep.equal([
        '2.0.0:draft',
        '1.10.0:ready',
        'v1.9.0:ready',
        '1.2.0:ready',
        'edge:ready',
        'nightly:ready',
      ]);
      const admin = await api<AppBody>(srv, 'GET', path(), { bearer: alice });
      expect(admin.body.latestVersion).to.equal('1.10.0');
    });

    it('reads a version with its components and template', async () => {
      const res = await api<{
        state: string;
        manifestDigest: string;
        components: { serviceKey: string; imageDigest: string }[];
        template: { group_version: string };
      }>(srv, 'GET', path('/versions/1.2.0'), { bearer: alice });
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.include({ state: 'ready', manifestDigest: pushed['1.2.0']!.digest });
      expect(res.body.components).to.deep.equal([
        {
          serviceKey: SERVICE_KEY,
          name: 'web',
          imageDigest: pushed['1.2.0']!.imageDigest,
          sourceRef: 'hub.example/acme/web:1',
        },
      ]);
      expect(res.body.template.group_version).to.equal('0.0.1');
      const missing = await api(srv, 'GET', path('/versions/9.9.9'), { bearer: alice });
      expect([missing.status, code(missing)]).to.deep.equal([404, 'not_found']);
    });

    it('serves the install template with store images by digest and counts the install', async () => {
      const res = await api<{ group_version: string; apps: { share_image: string }[] }>(
        srv,
        'GET',
        path('/versions/1.2.0/install'),
        { bearer: alice },
      );
      expect(res.status, res.text).to.equal(200);
      expect(res.body.group_version).to.equal('1.2.0');
      expect(res.body.apps[0]!.share_image).to.equal(
        `${srv.host}/alice/notes@${pushed['1.2.0']!.imageDigest}`,
      );
      const app = await api<AppBody>(srv, 'GET', path(), { bearer: alice });
      expect(app.body.installs).to.equal(1);
    });

    it('needs the install right to install an app that is not on the shelf', async () => {
      const key = async (scopes: string[]) =>
        (
          await api<{ key: string }>(srv, 'POST', '/api/v1/keys', {
            bearer: alice,
            body: { name: scopes.join('+'), scopes },
          })
        ).body.key;
      const readOnly = await api(srv, 'GET', path('/versions/1.2.0/install'), {
        bearer: await key(['read']),
      });
      expect([readOnly.status, code(readOnly)]).to.deep.equal([403, 'forbidden']);
      // The install right passes the permission check (the draft then stops it, counting nothing).
      const install = await api(srv, 'GET', path('/versions/2.0.0/install'), {
        bearer: await key(['install']),
      });
      expect([install.status, code(install)]).to.deep.equal([409, 'conflict']);
    });

    it('refuses to install a draft, and hides the unlisted app from others', async () => {
      const draft = await api(srv, 'GET', path('/versions/2.0.0/install'), { bearer: alice });
      expect([draft.status, code(draft)]).to.deep.equal([409, 'conflict']);
      const bobs = await api(srv, 'GET', path('/versions/1.2.0/install'), { bearer: bob });
      expect(bobs.status).to.equal(404);
    });

    it('deletes a version: its tag in the registry and its row', async () => {
      const res = await api(srv, 'DELETE', path('/versions/nightly'), { bearer: alice });
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.deep.equal({
        dryRun: false,
        app: 'alice/notes',
        version: 'nightly',
        packages: [],
        leavesShelf: false,
      });
      expect((await reg.request('GET', '/v2/alice/notes/manifests/nightly')).status).to.equal(404);
      const list = await api<{ versions: { version: string }[] }>(srv, 'GET', path('/versions'), {
        bearer: alice,
      });
      expect(list.body.versions.map((v) => v.version)).to.not.include('nightly');
      const again = await api(srv, 'DELETE', path('/versions/nightly'), { bearer: alice });
      expect(again.status).to.equal(404);
    });
  });

  describe('visits, packages and the shelf', () => {
    it("counts a visit once per visitor per day, and never the owner's own", async () => {
      const visit = async (call: { bearer?: string; ua?: string }) =>
        (
          await api<{ counted: boolean }>(srv, 'POST', path('/visit'), {
            ...(call.bearer ? { bearer: call.bearer } : {}),
            headers: { 'user-agent': call.ua ?? 'test' },
          })
        ).body.counted;
      expect([
        await visit({ bearer: alice }),
        await visit({ bearer: alice, ua: 'other' }),
      ]).to.deep.equal([false, false]);
      // A signed-in visitor is one visitor, whatever browser they use.
      expect([
        await visit({ bearer: ADMIN_KEY, ua: 'a' }),
        await visit({ bearer: ADMIN_KEY, ua: 'b' }),
      ]).to.deep.equal([true, false]);
      // The next day (yesterday's visitor rows): the same visitor counts again, and the day after.
      for (const day of ['2000-01-01', '2000-01-02']) {
        await sqlRun(
          srv.app.store,
          sql`UPDATE app_visitors SET day = ${day} WHERE day NOT LIKE '2000-%'`,
        );
        expect(await visit({ bearer: ADMIN_KEY, ua: 'a' })).to.equal(true);
      }
      const app = await api<AppBody>(srv, 'GET', path(), { bearer: alice });
      expect(app.body.visits).to.equal(3);
    });

    it('refuses packages of unknown or draft versions, and repeated names', async () => {
      const unknown = await api(srv, 'POST', path('/packages'), {
        bearer: alice,
        body: { name: 'free', versions: ['3.0.0'] },
      });
      expect([unknown.status, code(unknown)]).to.deep.equal([400, 'invalid']);
      const draft = await api(srv, 'POST', path('/packages'), {
        bearer: alice,
        body: { name: 'free', versions: ['2.0.0'] },
      });
      expect([draft.status, code(draft)]).to.deep.equal([400, 'invalid']);
      const paid = await api(srv, 'POST', path('/packages'), {
        bearer: alice,
        body: { name: 'free', type: 'paid', versions: ['1.2.0'] },
      });
      expect([paid.status, code(paid)]).to.deep.equal([400, 'invalid']);
      const bobs = await api(srv, 'POST', path('/packages'), {
        bearer: bob,
        body: { name: 'free', versions: ['1.2.0'] },
      });
      expect(bobs.status).to.equal(404);
    });

    it('puts a listed app with a package on the shelf: public, and found by search', async () => {
      const pkg = await api(srv, 'POST', path('/packages'), {
        bearer: alice,
        body: { name: '1.10.0', versions: ['1.10.0', 'v1.9.0'] },
      });
      expect(pkg.status, pkg.text).to.equal(201);
      const dup = await api(srv, 'POST', path('/packages'), {
        bearer: alice,
        body: { name: '1.10.0', versions: ['1.10.0'] },
      });
      expect([dup.status, code(dup)]).to.deep.equal([409, 'conflict']);
      expect((await api(srv, 'GET', path())).status).to.equal(404);
      const shelf = await api<AppBody>(srv, 'PUT', path('/shelf'), {
        bearer: alice,
        body: { listed: true },
      });
      expect(shelf.body).to.deep.include({ listed: true, onShelf: true });
      const anon = await api<AppBody>(srv, 'GET', path());
      expect(anon.status, anon.text).to.equal(200);
      expect(anon.body.packages).to.deep.equal([
        {
          name: '1.10.0',
          type: 'free',
          versions: ['1.10.0', 'v1.9.0'],
          createdAt: (anon.body.packages[0] as unknown as { createdAt: string }).createdAt,
        },
      ]);
      const found = await search(srv.url, { q: 'notes' });
      expect(found.body.items.map((i) => `${i.namespace}/${i.name}`)).to.deep.equal([
        'alice/notes',
      ]);
      const versions = await api<{ versions: { version: string }[] }>(
        srv,
        'GET',
        path('/versions'),
      );
      expect(versions.body.versions.map((v) => v.version)).to.not.include('2.0.0');
    });

    it('lets others see but not change a listed app (403), nor anonymous callers (401)', async () => {
      for (const [method, rest, body] of [
        ['PATCH', '', { summary: 'mine' }],
        ['PUT', '/shelf', { listed: false }],
        ['DELETE', '/versions/edge', undefined],
        ['DELETE', '', undefined],
        ['POST', '/packages', { name: 'x', versions: ['1.2.0'] }],
      ] as const) {
        const bobs = await api(srv, method, path(rest), { bearer: bob, ...(body ? { body } : {}) });
        expect([method, rest, bobs.status, code(bobs)]).to.deep.equal([
          method,
          rest,
          403,
          'forbidden',
        ]);
        const anon = await api(srv, method, path(rest), body ? { body } : {});
        expect([method, rest, anon.status]).to.deep.equal([method, rest, 401]);
      }
    });

    it('takes the app off the shelf with its last package', async () => {
      const extra = await api(srv, 'POST', path('/packages'), {
        bearer: alice,
        body: { name: 'edge', versions: ['edge'] },
      });
      expect(extra.status).to.equal(201);
      expect(
        (await api(srv, 'DELETE', path('/packages/1.10.0'), { bearer: alice })).status,
      ).to.equal(204);
      expect((await api<AppBody>(srv, 'GET', path())).body.onShelf).to.equal(true);
      // Deleting the only version a package covers deletes the package too, and with the last
      // package the app leaves the shelf: a dry run says so first and changes nothing.
      const consequences = {
        app: 'alice/notes',
        version: 'edge',
        packages: [{ name: 'edge', versionsLeft: [], deleted: true }],
        leavesShelf: true,
      };
      const dry = await api(srv, 'DELETE', path('/versions/edge?dryRun=true'), { bearer: alice });
      expect([dry.status, dry.body]).to.deep.equal([200, { dryRun: true, ...consequences }]);
      expect((await api<AppBody>(srv, 'GET', path())).body.onShelf).to.equal(true);
      const bad = await api(srv, 'DELETE', path('/versions/edge?dryRun=maybe'), { bearer: alice });
      expect([bad.status, code(bad)]).to.deep.equal([400, 'invalid']);
      const byOther = await api(srv, 'DELETE', path('/versions/edge?dryRun=true'), { bearer: bob });
      expect(byOther.status).to.be.oneOf([403, 404]);
      const gone = await api(srv, 'DELETE', path('/versions/edge'), { bearer: alice });
      expect([gone.status, gone.body]).to.deep.equal([200, { dryRun: false, ...consequences }]);
      expect((await api(srv, 'GET', path())).status).to.equal(404);
      const mine = await api<AppBody>(srv, 'GET', path(), { bearer: alice });
      expect(mine.body).to.deep.include({ listed: true, onShelf: false, packages: [] });
      const missing = await api(srv, 'DELETE', path('/packages/edge'), { bearer: alice });
      expect(missing.status).to.equal(404);
      expect(
        (
          await api(srv, 'POST', path('/packages'), {
            bearer: alice,
            body: { name: '1.2.0', versions: ['1.2.0'] },
          })
        ).status,
      ).to.equal(201);
    });
  });

  describe('pulls, statistics, logo and publisher page', () => {
    it('counts manifest pulls of a version (not of its images) once flushed', async () => {
      for (let i = 0; i < 2; i++)
        expect((await reg.request('GET', '/v2/alice/notes/manifests/1.2.0')).status).to.equal(200);
      expect(
        (await reg.request('GET', `/v2/alice/notes/manifests/${pushed['1.2.0']!.digest}`)).status,
      ).to.equal(200);
      expect(
        (await reg.request('GET', `/v2/alice/notes/manifests/${pushed['1.2.0']!.imageDigest}`))
          .status,
      ).to.equal(200);
      const app = await api<AppBody>(srv, 'GET', path());
      expect(app.body.pulls).to.equal(3);
    });

    it('serves a zero-filled daily series with totals', async () => {
      const res = await api<{
        days: { day: string; visits: number; installs: number; pulls: number }[];
        totals: { installs: number };
      }>(srv, 'GET', path('/stats?days=7'));
      expect(res.status, res.text).to.equal(200);
      expect(res.body.days.map((d) => d.day)).to.have.length(7);
      expect(res.body.days.at(-1)).to.deep.equal({
        day: new Date().toISOString().slice(0, 10),
        visits: 3,
        installs: 1,
        pulls: 3,
      });
      expect(
        res.body.days.slice(0, 6).every((d) => d.visits + d.installs + d.pulls === 0),
      ).to.equal(true);
      expect(res.body.totals).to.deep.equal({ visits: 3, installs: 1, pulls: 3 });
      const bad = await api(srv, 'GET', path('/stats?days=0'));
      expect([bad.status, code(bad)]).to.deep.equal([400, 'invalid']);
    });

    it('stores a PNG or SVG logo by its bytes and serves it with its type', async () => {
      const png = await api<AppBody>(srv, 'PUT', path('/logo'), {
        bearer: alice,
        body: PNG,
        headers: { 'content-type': 'application/octet-stream' },
      });
      expect(png.status, png.text).to.equal(200);
      expect(png.body.logo).to.equal('/api/v1/apps/alice/notes/logo');
      const got = await fetch(new URL(path('/logo'), srv.url));
      expect([got.status, got.headers.get('content-type')]).to.deep.equal([200, 'image/png']);
      expect(Buffer.from(await got.arrayBuffer()).equals(PNG)).to.equal(true);
      expect(
        (
          await api(srv, 'PUT', path('/logo'), {
            bearer: alice,
            body: SVG,
            headers: { 'content-type': 'image/svg+xml' },
          })
        ).status,
      ).to.equal(200);
      const svg = await fetch(new URL(path('/logo'), srv.url));
      expect(svg.headers.get('content-type')).to.equal('image/svg+xml');
      expect(svg.headers.get('content-security-policy')).to.equal(
        "default-src 'none'; style-src 'unsafe-inline'",
      );
      expect(await svg.text()).to.equal(SVG.toString());
    });

    it('refuses a logo that is no image, too large, or not one to change', async () => {
      const text = await api(srv, 'PUT', path('/logo'), {
        bearer: alice,
        body: '<html><svg></svg></html>',
        headers: { 'content-type': 'image/svg+xml' },
      });
      expect([text.status, code(text)]).to.deep.equal([400, 'invalid']);
      const big = await api(srv, 'PUT', path('/logo'), {
        bearer: alice,
        body: Buffer.concat([PNG, Buffer.alloc(256 * 1024)]),
        headers: { 'content-type': 'image/png' },
      });
      expect([big.status, code(big)]).to.deep.equal([413, 'too_large']);
      const bobs = await api(srv, 'PUT', path('/logo'), {
        bearer: bob,
        body: PNG,
        headers: { 'content-type': 'image/png' },
      });
      expect(bobs.status).to.equal(403);
      expect(
        (await api(srv, 'GET', '/api/v1/apps/alice/draft-pad/logo', { bearer: alice })).status,
      ).to.equal(404);
    });

    it('shows a publisher with the apps the caller may see and their totals', async () => {
      const anon = await api<{
        kind: string;
        profile: { name: string };
        apps: AppBody[];
        totals: { apps: number; installs: number; visits: number };
      }>(srv, 'GET', '/api/v1/publishers/alice');
      expect(anon.status, anon.text).to.equal(200);
      expect([anon.body.kind, anon.body.profile.name]).to.deep.equal(['user', 'alice']);
      expect(
        anon.body.apps.map((a) => [a.name, a.installs, a.visits, a.latestVersion]),
      ).to.deep.equal([['notes', 1, 3, '1.10.0']]);
      expect(anon.body.totals).to.include({ apps: 1, installs: 1, visits: 3 });
      const mine = await api<{ apps: AppBody[] }>(srv, 'GET', '/api/v1/publishers/alice', {
        bearer: alice,
      });
      expect(mine.body.apps.map((a) => a.name)).to.deep.equal(['draft-pad', 'notes']);
      expect(
        (
          await api(srv, 'POST', '/api/v1/orgs', {
            bearer: alice,
            body: { name: 'acme-labs', displayName: 'Acme Labs' },
          })
        ).status,
      ).to.equal(201);
      const org = await api<{ kind: string; profile: { displayName: string }; apps: unknown[] }>(
        srv,
        'GET',
        '/api/v1/publishers/acme-labs',
      );
      expect([org.body.kind, org.body.profile.displayName, org.body.apps]).to.deep.equal([
        'org',
        'Acme Labs',
        [],
      ]);
      expect((await api(srv, 'GET', '/api/v1/publishers/nobody-here')).status).to.equal(404);
    });
  });

  describe('deleting an app', () => {
    it('removes its rows and its tags and manifests in the registry', async () => {
      const gone = await pushBundle(reg, 'alice/gone', '1.0.0');
      expect(
        (
          await api(srv, 'PUT', '/api/v1/apps/alice/gone/logo', {
            bearer: alice,
            body: PNG,
            headers: { 'content-type': 'image/png' },
          })
        ).status,
      ).to.equal(200);
      expect(
        (await api(srv, 'GET', '/api/v1/apps/alice/gone/versions/1.0.0/install', { bearer: alice }))
          .status,
      ).to.equal(200);
      const res = await api(srv, 'DELETE', '/api/v1/apps/alice/gone', { bearer: alice });
      expect(res.status, res.text).to.equal(204);
      expect((await api(srv, 'GET', '/api/v1/apps/alice/gone', { bearer: alice })).status).to.equal(
        404,
      );
      for (const ref of ['1.0.0', gone.digest, gone.imageDigest, `1.0.0-${SERVICE_KEY}`]) {
        expect((await reg.request('GET', `/v2/alice/gone/manifests/${ref}`)).status, ref).to.equal(
          404,
        );
      }
      const tags = await reg.request('GET', '/v2/alice/gone/tags/list');
      expect(((await tags.json()) as { tags: string[] }).tags).to.deep.equal([]);
      const audit = await api<{ entries: { target: string }[] }>(
        srv,
        'GET',
        '/api/v1/audit?action=app.deleted',
        { bearer: ADMIN_KEY },
      );
      expect(audit.body.entries.map((e) => e.target)).to.deep.equal(['alice/gone']);
      // A new push starts a new app.
      await pushBundle(reg, 'alice/gone', '2.0.0');
      const fresh = await api<AppBody>(srv, 'GET', '/api/v1/apps/alice/gone', { bearer: alice });
      expect([fresh.body.latestVersion, fresh.body.installs, fresh.body.logo]).to.deep.equal([
        '2.0.0',
        0,
        null,
      ]);
    });
  });
});
