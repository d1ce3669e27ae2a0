/**
 * Data stored before source credentials were refused: templates whose `service_image` carries
 * `hub_user`/`hub_password`, one in a ready bundle and one in a draft. They are planted the way
 * the old code left them (the registry's own rows, no guard), then a store starts on the folder:
 * each is rewritten once — a new template and manifest under the same tag, the version row kept —
 * the old manifests and template blob are gone from /v2, the draft still publishes with the
 * credentials it named, and a later start does nothing again.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { sql } from 'drizzle-orm';
import type { SyncJobView } from '../../schemas/sync.js';
import type { Digest } from '../../schemas/oci.js';
import { RegistryClient } from '../../registry/client/index.js';
import { parseManifest } from '../../registry/manifests/parse-manifest.js';
import { api } from '../helpers/accounts.js';
import { errorCode, sha256, TestRegistryClient } from '../helpers/registry-client.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { sqlRows, sqlRun } from '../helpers/store-sql.js';
import {
  DISTRIBUTION_USER,
  distributionAvailable,
  startDistribution,
  type DistributionServer,
} from '../registry/client/distribution.js';
import { buildImage, pushBuilt } from '../registry/client/images.js';
import {
  OCI_INDEX,
  OCI_MANIFEST,
  pushBundle,
  pushTemplate,
  templateArtifact,
} from './app-pushes.js';

const SERVICE_KEY = 'f8d5286dc7cf7f129f1439cd706c3c4c';
const PASSWORD = DISTRIBUTION_USER.password;

function template(version: string, image: string, serviceImage: Record<string, unknown>) {
  return {
    group_key: 'b77047a0f9b23a392e63f657fae4125a',
    group_name: 'hello',
    group_version: version,
    apps: [
      {
        service_id: SERVICE_KEY,
        service_key: SERVICE_KEY,
        extend_method: 'stateless_multiple',
        share_image: image,
        service_image: serviceImage,
      },
    ],
  };
}

type VersionRow = {
  id: number;
  state: string;
  manifestDigest: string;
  templateDigest: string;
  template: string;
  updateVersion: number;
};

/** The version's row as the store holds it (what the migration rewrote, as no API shows it). */
async function versionRow(srv: TestServer, repo: string, version: string): Promise<VersionRow> {
  const [namespace, name] = repo.split('/');
  const [row] = await sqlRows<VersionRow>(
    srv.app.store,
    sql`SELECT v.id AS id, v.state AS state, v.manifest_digest AS "manifestDigest",
          v.template_digest AS "templateDigest", v.template AS template,
          v.update_version AS "updateVersion"
        FROM versions v JOIN apps a ON a.id = v.app_id
        WHERE a.namespace = ${namespace!} AND a.name = ${name!} AND v.version = ${version}`,
  );
  return row!;
}

/**
 * What the old code stored for `tag`: the template blob with the credentials, its manifest, and
 * (for a bundle) the index pointing at it, written through the registry's rows — no guard — and
 * the version row pointing at them.
 */
async function plantOld(
  srv: TestServer,
  repo: string,
  tag: string,
  json: object,
): Promise<{ template: Digest; manifest: Digest; blob: string }> {
  const reg = new TestRegistryClient(srv.url);
  const bytes = Buffer.from(JSON.stringify(json, null, 2));
  const manifest = Buffer.from(JSON.stringify(await templateArtifact(reg, repo, bytes)));
  const meta = srv.app.registry.meta;
  const put = async (content: Buffer, mediaType: string, asTag?: string) => {
    const parsed = parseManifest(content, mediaType, 'sha256');
    const { missing } = await meta.putManifest({ repository: repo, ...parsed, content }, asTag);
    expect(missing).to.deep.equal([]);
    return parsed.digest;
  };
  const row = await versionRow(srv, repo, tag);
  const isBundle = row.manifestDigest !== row.templateDigest;
  const templateDigest = await put(manifest, OCI_MANIFEST, isBundle ? undefined : tag);
  let manifestDigest = templateDigest;
  if (isBundle) {
    const index = JSON.parse((await meta.manifestByTag(repo, tag))!.content.toString('utf8')) as {
      manifests: object[];
    };
    index.manifests[0] = { mediaType: OCI_MANIFEST, digest: templateDigest, size: manifest.length };
    manifestDigest = await put(Buffer.from(JSON.stringify(index)), OCI_INDEX, tag);
  }
  await sqlRun(
    srv.app.store,
    sql`UPDATE versions SET manifest_digest = ${manifestDigest},
          template_digest = ${templateDigest}, template = ${JSON.stringify(json)}
        WHERE id = ${row.id}`,
  );
  return { template: templateDigest, manifest: manifestDigest, blob: sha256(bytes) };
}

describe('store: a start cleans the source credentials of stored templates', function () {
  this.timeout(90_000);
  let dist: DistributionServer | undefined;
  let data = '';
  const servers: TestServer[] = [];
  const start = async () => {
    const srv = await startTestServer({}, { data });
    servers.push(srv);
    return srv;
  };

  before(async function () {
    if (!distributionAvailable()) this.skip();
    data = await mkdtemp(join(tmpdir(), 'appshelf-creds-migration-'));
    dist = await startDistribution();
    const upstream = new RegistryClient({ host: dist.url, credentials: DISTRIBUTION_USER });
    await pushBuilt(upstream, 'upstream/web', buildImage({ layerSizes: [1024] }), '1');
  });

  after(async () => {
    for (const srv of servers) await srv.close();
    await dist?.close();
    if (data) await rm(data, { recursive: true, force: true });
  });

  it('rewrites a bundle and a draft once, keeping their versions', async () => {
    const creds = {
      hub_url: dist!.host,
      namespace: 'upstream',
      hub_user: DISTRIBUTION_USER.username,
      hub_password: PASSWORD,
    };
    const blank = { ...creds, hub_user: '', hub_password: '' };
    const image = `${dist!.host}/upstream/web:1`;
    const old = await start();
    const reg = new TestRegistryClient(old.url);
    const clean = (v: string) => Buffer.from(JSON.stringify(template(v, image, blank)));
    await pushBundle(reg, 'acme/ready', '1.0', clean('1.0'), [SERVICE_KEY]);
    await pushTemplate(reg, 'acme/draft', clean('2.0'), '2.0');
    const planted = {
      ready: await plantOld(old, 'acme/ready', '1.0', template('1.0', image, creds)),
      draft: await plantOld(old, 'acme/draft', '2.0', template('2.0', image, creds)),
    };
    const before = {
      ready: await versionRow(old, 'acme/ready', '1.0'),
      draft: await versionRow(old, 'acme/draft', '2.0'),
    };
    expect(before.ready.template).to.include(PASSWORD);
    // The old code ran no data migration: this store's start-up did, on a folder still empty.
    await sqlRun(old.app.store, sql`DELETE FROM data_migrations`);
    await old.close();

    const srv = await start();
    const reader = new TestRegistryClient(srv.url);
    for (const [repo, tag, key] of [
      ['acme/ready', '1.0', 'ready'],
      ['acme/draft', '2.0', 'draft'],
    ] as const) {
      const row = await versionRow(srv, repo, tag);
      expect(row.id, 'the version row is kept').to.equal(before[key].id);
      expect(row.state).to.equal(key === 'ready' ? 'ready' : 'draft');
      expect(row.updateVersion, 'no upgrade is announced').to.equal(before[key].updateVersion);
      expect(row.manifestDigest).to.not.equal(planted[key].manifest);
      const tagged = await reader.request('GET', `/v2/${repo}/manifests/${tag}`);
      expect(sha256(Buffer.from(await tagged.arrayBuffer()))).to.equal(row.manifestDigest);
      const shown = await api(srv, 'GET', `/api/v1/apps/${repo}/versions/${tag}`, {
        bearer: ADMIN_KEY,
      });
      expect(shown.status).to.equal(200);
      expect(shown.text).to.not.include(PASSWORD);
      const m = JSON.parse(
        await (await reader.request('GET', `/v2/${repo}/manifests/${row.templateDigest}`)).text(),
      ) as { layers: { digest: string }[] };
      const blob = await reader.request('GET', `/v2/${repo}/blobs/${m.layers[0]!.digest}`);
      const served = JSON.parse(await blob.text()) as ReturnType<typeof template>;
      expect(served.apps[0]!.service_image).to.deep.equal(blank);
      for (const gone of new Set([planted[key].manifest, planted[key].template])) {
        const res = await reader.request('GET', `/v2/${repo}/manifests/${gone}`);
        expect([res.status, await errorCode(res)]).to.deep.equal([404, 'MANIFEST_UNKNOWN']);
      }
      const oldBlob = await reader.request('GET', `/v2/${repo}/blobs/${planted[key].blob}`);
      expect(oldBlob.status, 'the old template blob is not served').to.equal(404);
    }
    const install = await api(srv, 'GET', '/api/v1/apps/acme/ready/versions/1.0/install', {
      bearer: ADMIN_KEY,
    });
    expect(install.status, install.text).to.equal(200);
    expect(install.text).to.not.include(PASSWORD);
    const migrated = srv.logs.filter((l) => l.includes('data migration applied'));
    expect(migrated).to.have.lengthOf(1);

    // The draft's credentials were kept for its sync, and only there.
    const path = '/api/v1/apps/acme/draft/versions/2.0';
    expect((await api(srv, 'POST', `${path}/publish`, { bearer: ADMIN_KEY })).status).to.equal(202);
    let job: SyncJobView | undefined;
    for (let i = 0; i < 400 && job?.state !== 'done' && job?.state !== 'failed'; i++) {
      await new Promise((done) => setTimeout(done, 50));
      job = (await api<SyncJobView>(srv, 'GET', `${path}/sync`, { bearer: ADMIN_KEY })).body;
    }
    expect(job?.state, JSON.stringify(job)).to.equal('done');
    const published = (await versionRow(srv, 'acme/ready', '1.0')).manifestDigest;
    await srv.close();

    const again = await start();
    expect(again.logs.filter((l) => l.includes('data migration applied'))).to.deep.equal([]);
    expect((await versionRow(again, 'acme/ready', '1.0')).manifestDigest).to.equal(published);
  });
});
