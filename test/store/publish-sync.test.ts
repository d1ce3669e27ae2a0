/**
 * Publishing a draft (ARCHITECTURE.md §3 way in 2): a template pushed with raw OCI calls while its
 * images sit in a second registry (CNCF Distribution with htpasswd auth); the sync job copies
 * them in with the request's credentials (after a restart, with those kept for the draft), mounts
 * what the namespace already holds, fails with a reason on a bad password and succeeds on retry,
 * survives a restart, and the bundle it writes comes out of `skopeo copy --all` with both images
 * by digest.
 *
 * A multi-arch component is copied with every platform and its index becomes the bundle's child,
 * as §3 says; that bundle is pulled with our own client, because skopeo 1.9 cannot copy an index
 * nested in an index (containers/image#2076: "Unexpectedly received a manifest list instead of a
 * manifest for a single image").
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { sql } from 'drizzle-orm';
import { BundleAnnotations } from '../../schemas/bundle.js';
import type { SyncJobView } from '../../schemas/sync.js';
import { copyImage, OciLayout, RegistryClient } from '../../registry/client/index.js';
import { sourceCredentialRepository } from '../../server/store/source-credential-repository.js';
import { api, loginWithPhone, type ApiError } from '../helpers/accounts.js';
import { TestRegistryClient } from '../helpers/registry-client.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { sqlRows, sqlRun } from '../helpers/store-sql.js';
import { run, toolAvailable } from '../helpers/tools.js';
import { clientHome, type ClientHome } from '../clients/client-env.js';
import {
  DISTRIBUTION_USER,
  distributionAvailable,
  startDistribution,
  type DistributionServer,
} from '../registry/client/distribution.js';
import {
  allBlobs,
  buildImage,
  buildIndex,
  pushBuilt,
  type BuiltManifest,
} from '../registry/client/images.js';
import { pushTemplate } from './app-pushes.js';

const SAMPLE = new URL('../fixtures/ram/valid/wordpress-mysql.json', import.meta.url);
const MYSQL = '97a918fd12b91da4376f258e5307b47f';
const WORDPRESS = '8ed04b7ea2e894420c02fdd788765cc7';

interface Template {
  group_version: string;
  apps: { service_key: string; share_image: string; service_image: Record<string, unknown> }[];
  plugins?: { plugin_image: Record<string, unknown> }[];
}

describe('store: publishing a draft with image sync', function () {
  this.timeout(60_000);
  let dist: DistributionServer | undefined;
  let srv: TestServer | undefined;
  let home: ClientHome | undefined;
  let work: string;
  let alice: { token: string; key: string };
  let mysql: BuiltManifest;
  let mysqlMulti: BuiltManifest;
  let wordpress: BuiltManifest;
  let wordpressDocker: BuiltManifest;
  const right = () => [{ registry: dist!.host, ...DISTRIBUTION_USER }];

  before(async function () {
    if (!distributionAvailable() || !toolAvailable('skopeo')) this.skip();
    work = await mkdtemp(join(tmpdir(), 'appshelf-publish-'));
    home = await clientHome('publish');
    dist = await startDistribution();
    srv = await startTestServer();
    const upstream = new RegistryClient({ host: dist.url, credentials: DISTRIBUTION_USER });
    mysql = buildImage({ layerSizes: [32 * 1024] });
    mysqlMulti = buildIndex([
      buildImage({ architecture: 'amd64' }),
      buildImage({ architecture: 'arm64' }),
    ]);
    wordpress = buildImage({ layerSizes: [64 * 1024, 1024] });
    wordpressDocker = buildImage({ docker: true, layerSizes: [4096] });
    await pushBuilt(upstream, 'upstream/mysql', mysql, '8.0.36');
    await pushBuilt(upstream, 'upstream/mysql', mysqlMulti, '8.0.36-multi');
    await pushBuilt(upstream, 'upstream/wordpress', wordpress, '6.5.5-apache');
    await pushBuilt(upstream, 'upstream/wordpress', wordpressDocker, '6.5.5-docker');
    const login = await loginWithPhone(srv, '+4915112349001', 'alice');
    const key = await api<{ key: string }>(srv, 'POST', '/api/v1/keys', {
      bearer: login.token,
      body: { name: 'push', scopes: ['push'] },
    });
    expect(key.status, key.text).to.equal(201);
    alice = { token: login.token, key: key.body.key };
  });

  after(async () => {
    await srv?.close();
    await dist?.close();
    if (home) await rm(home.dir, { recursive: true, force: true });
    if (work) await rm(work, { recursive: true, force: true });
  });

  /**
   * A copy of the sample whose images point at the second registry, written to a file and read
   * back. Its registry credentials are blank: a template with a password is refused on /v2.
   */
  async function templateFor(
    version: string,
    tags = { mysql: '8.0.36', wordpress: '6.5.5-apache' },
  ): Promise<Buffer> {
    const t = JSON.parse(await readFile(SAMPLE, 'utf8')) as Template;
    t.group_version = version;
    for (const app of t.apps) {
      app.share_image = `${dist!.host}/upstream/${app.service_key === MYSQL ? `mysql:${tags.mysql}` : `wordpress:${tags.wordpress}`}`;
      app.service_image = {
        ...app.service_image,
        hub_url: dist!.host,
        namespace: 'upstream',
        hub_user: '',
        hub_password: '',
      };
    }
    for (const plugin of t.plugins ?? [])
      plugin.plugin_image = { ...plugin.plugin_image, hub_user: '', hub_password: '' };
    const file = join(work, `template-${version}-${Date.now()}.json`);
    await writeFile(file, JSON.stringify(t, null, 2));
    return readFile(file);
  }

  async function pushDraft(repo: string, version: string, template: Buffer): Promise<void> {
    const [namespace, name] = repo.split('/');
    const reg =
      namespace === 'alice'
        ? new TestRegistryClient(srv!.url, { username: 'alice', password: alice.key })
        : new TestRegistryClient(srv!.url);
    await pushTemplate(reg, repo, template, version);
    expect((await versionRow(srv!, namespace!, name!, version))?.state).to.equal('draft');
  }

  const syncPath = (repo: string, version: string) => `/api/v1/apps/${repo}/versions/${version}`;

  async function waitForJob(
    s: TestServer,
    repo: string,
    version: string,
    bearer = alice.token,
  ): Promise<SyncJobView> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const res = await api<SyncJobView>(s, 'GET', `${syncPath(repo, version)}/sync`, { bearer });
      expect(res.status, res.text).to.equal(200);
      if (res.body.state === 'done' || res.body.state === 'failed') return res.body;
      if (Date.now() > deadline)
        throw new Error(`sync of ${repo}:${version} still ${res.body.state}`);
      await new Promise((done) => setTimeout(done, 50));
    }
  }

  it('an image sync into a namespace over its storage quota fails naming the quota, and copies nothing', async () => {
    await pushDraft('alice/quota-app', '1.0', await templateFor('1.0'));
    const usage = async () =>
      (
        await api<{ usedBytes: number }>(srv!, 'GET', '/api/v1/namespaces/alice/usage', {
          bearer: alice.token,
        })
      ).body.usedBytes;
    const before = await usage();
    const quota = (limitBytes: number) =>
      api(srv!, 'PUT', '/api/v1/admin/quotas/alice', {
        bearer: ADMIN_KEY,
        body: { limitBytes, warnBytes: 0 },
      });
    expect((await quota(before + 1000)).status).to.equal(200);
    try {
      const started = await api<SyncJobView>(
        srv!,
        'POST',
        `${syncPath('alice/quota-app', '1.0')}/publish`,
        { bearer: alice.token, body: { credentials: right() } },
      );
      expect(started.status, started.text).to.equal(202);
      const job = await waitForJob(srv!, 'alice/quota-app', '1.0');
      expect(job.state).to.equal('failed');
      expect(JSON.stringify(job)).to.contain('storage quota of alice exceeded');
      expect(await usage()).to.be.at.most(before + 1000);
    } finally {
      expect((await quota(0)).status).to.equal(200);
    }
  });

  it('copies an OCI and a Docker image with the credentials given in the request; skopeo copy --all pulls the bundle', async () => {
    await pushDraft(
      'alice/wordpress',
      '1.0',
      await templateFor('1.0', { mysql: '8.0.36', wordpress: '6.5.5-docker' }),
    );
    const started = await api<SyncJobView>(
      srv!,
      'POST',
      `${syncPath('alice/wordpress', '1.0')}/publish`,
      { bearer: alice.token, body: { credentials: right() } },
    );
    expect(started.status, started.text).to.equal(202);
    expect([started.body.state, started.body.progress]).to.deep.equal([
      'pending',
      { done: 0, total: 2 },
    ]);

    const job = await waitForJob(srv!, 'alice/wordpress', '1.0');
    expect([job.state, job.progress, job.error]).to.deep.equal([
      'done',
      { done: 2, total: 2 },
      null,
    ]);
    const byKey = new Map(job.components.map((c) => [c.serviceKey, c]));
    expect(byKey.get(MYSQL)).to.include({
      state: 'done',
      digest: mysql.desc.digest,
      mediaType: mysql.desc.mediaType,
    });
    expect(byKey.get(WORDPRESS)).to.include({ state: 'done', digest: wordpressDocker.desc.digest });
    expect((await versionRow(srv!, 'alice', 'wordpress', '1.0'))?.state).to.equal('ready');
    expect(await componentRows(srv!, 'alice', 'wordpress', '1.0')).to.deep.equal([
      { serviceKey: WORDPRESS, imageDigest: wordpressDocker.desc.digest },
      { serviceKey: MYSQL, imageDigest: mysql.desc.digest },
    ]);

    const out = join(home!.dir, 'bundle-1.0');
    await run(
      'skopeo',
      [
        '--policy',
        home!.policy,
        'copy',
        '--quiet',
        '--all',
        '--preserve-digests',
        '--src-tls-verify=false',
        '--src-creds',
        `alice:${alice.key}`,
        `docker://${srv!.host}/alice/wordpress:1.0`,
        `oci:${out}:1.0`,
      ],
      { env: home!.env, timeoutMs: 50_000 },
    );
    const blob = (digest: string) => readFile(join(out, 'blobs', 'sha256', digest.slice(7)));
    const layout = JSON.parse(await readFile(join(out, 'index.json'), 'utf8')) as {
      manifests: { digest: string; annotations?: Record<string, string> }[];
    };
    const top = layout.manifests.find(
      (m) => m.annotations?.['org.opencontainers.image.ref.name'] === '1.0',
    )!;
    const bundle = JSON.parse((await blob(top.digest)).toString('utf8')) as {
      manifests: { digest: string; annotations?: Record<string, string> }[];
    };
    const children = bundle.manifests
      .slice(1)
      .map((m) => [
        m.annotations?.[BundleAnnotations.component],
        m.digest,
        m.annotations?.[BundleAnnotations.source],
      ]);
    expect(children).to.have.deep.members([
      [MYSQL, mysql.desc.digest, `${dist!.host}/upstream/mysql:8.0.36`],
      [WORDPRESS, wordpressDocker.desc.digest, `${dist!.host}/upstream/wordpress:6.5.5-docker`],
    ]);
    for (const built of [mysql, wordpressDocker]) {
      expect((await blob(built.desc.digest)).equals(built.bytes)).to.equal(true);
      for (const b of allBlobs(built))
        expect((await blob(b.desc.digest)).equals(b.bytes), b.desc.digest).to.equal(true);
    }
  });

  it('copies a multi-arch index with every platform, the index a child of the bundle', async () => {
    await pushDraft(
      'alice/wordpress',
      '1.1',
      await templateFor('1.1', { mysql: '8.0.36-multi', wordpress: '6.5.5-apache' }),
    );
    const started = await api(srv!, 'POST', `${syncPath('alice/wordpress', '1.1')}/publish`, {
      bearer: alice.token,
      body: { credentials: right() },
    });
    expect(started.status, started.text).to.equal(202);
    const job = await waitForJob(srv!, 'alice/wordpress', '1.1');
    expect(job.state, JSON.stringify(job)).to.equal('done');

    const out = await OciLayout.open(join(work, 'bundle-1.1'), { create: true });
    const store = new RegistryClient({
      host: srv!.url,
      credentials: { username: 'alice', password: alice.key },
    });
    await copyImage({
      from: { client: store, repository: 'alice/wordpress', reference: '1.1' },
      to: { client: out, repository: 'bundle', tag: '1.1' },
    });
    const bundle = JSON.parse(
      (await readFile(out.blobPath((await out.resolve('1.1')).digest))).toString('utf8'),
    ) as { manifests: { digest: string; annotations?: Record<string, string> }[] };
    const child = (key: string) =>
      bundle.manifests.find((m) => m.annotations?.[BundleAnnotations.component] === key)?.digest;
    expect([child(MYSQL), child(WORDPRESS)]).to.deep.equal([
      mysqlMulti.desc.digest,
      wordpress.desc.digest,
    ]);
    for (const built of [mysqlMulti, ...mysqlMulti.children, wordpress])
      expect((await readFile(out.blobPath(built.desc.digest))).equals(built.bytes)).to.equal(true);
    for (const b of [...allBlobs(mysqlMulti), ...allBlobs(wordpress)])
      expect((await readFile(out.blobPath(b.desc.digest))).equals(b.bytes), b.desc.digest).to.equal(
        true,
      );
  });

  it('mounts the blobs the namespace holds', async () => {
    await pushDraft('alice/blog', '1.0', await templateFor('1.0'));
    const started = await api(srv!, 'POST', `${syncPath('alice/blog', '1.0')}/publish`, {
      bearer: alice.token,
      body: { credentials: right() },
    });
    expect(started.status, started.text).to.equal(202);
    const job = await waitForJob(srv!, 'alice/blog', '1.0');
    expect(job.state, JSON.stringify(job)).to.equal('done');
    const blobs = Object.fromEntries(job.components.map((c) => [c.serviceKey, c.blobs]));
    expect(blobs).to.deep.equal({
      [MYSQL]: { copied: 0, mounted: allBlobs(mysql).length, skipped: 0 },
      [WORDPRESS]: { copied: 0, mounted: allBlobs(wordpress).length, skipped: 0 },
    });
    expect((await versionRow(srv!, 'alice', 'blog', '1.0'))?.state).to.equal('ready');
  });

  it('fails with a reason per component on a wrong password; a retry, one component alone, then the rest, succeeds', async () => {
    await pushDraft('alice/wordpress', '2.0', await templateFor('2.0'));
    const wrong = [
      { registry: dist!.host, username: DISTRIBUTION_USER.username, password: 'not-the-password' },
    ];
    const started = await api(srv!, 'POST', `${syncPath('alice/wordpress', '2.0')}/publish`, {
      bearer: alice.token,
      body: { credentials: wrong },
    });
    expect(started.status, started.text).to.equal(202);
    const failed = await waitForJob(srv!, 'alice/wordpress', '2.0');
    expect([failed.state, failed.error?.code, failed.progress]).to.deep.equal([
      'failed',
      'components_failed',
      { done: 0, total: 2 },
    ]);
    expect(failed.components.map((c) => [c.state, c.error?.code])).to.deep.equal([
      ['failed', 'unauthorized'],
      ['failed', 'unauthorized'],
    ]);
    // Each message names the component and the reference it was copied from.
    for (const c of failed.components) {
      expect(c.source).to.contain(dist!.host);
      expect(c.error?.message.startsWith(`component ${c.serviceKey} from ${c.source}: `)).to.equal(
        true,
        c.error?.message,
      );
      expect(failed.error?.message).to.contain(`${c.serviceKey} from ${c.source} (unauthorized)`);
    }
    expect((await versionRow(srv!, 'alice', 'wordpress', '2.0'))?.state).to.equal('failed');

    const retry = (body: object) =>
      api<SyncJobView | ApiError>(
        srv!,
        'POST',
        `${syncPath('alice/wordpress', '2.0')}/sync/retry`,
        { bearer: alice.token, body },
      );
    expect((await retry({ component: 'no-such-component' })).status).to.equal(404);
    const one = await retry({ component: MYSQL, credentials: right() });
    expect(one.status, one.text).to.equal(202);
    const half = await waitForJob(srv!, 'alice/wordpress', '2.0');
    expect(
      Object.fromEntries(
        half.components.map((c) => [c.serviceKey, [c.state, c.error?.code ?? null]]),
      ),
    ).to.deep.equal({
      [MYSQL]: ['done', null],
      [WORDPRESS]: ['failed', 'unauthorized'],
    });
    expect([half.state, half.progress]).to.deep.equal(['failed', { done: 1, total: 2 }]);

    // The right credentials given with the last retry are still held for this job.
    expect((await retry({})).status).to.equal(202);
    const done = await waitForJob(srv!, 'alice/wordpress', '2.0');
    expect([done.state, done.progress]).to.deep.equal(['done', { done: 2, total: 2 }]);
    expect((await versionRow(srv!, 'alice', 'wordpress', '2.0'))?.state).to.equal('ready');
    const again = await retry({});
    expect([again.status, (again.body as ApiError).error.code]).to.deep.equal([409, 'conflict']);
    const republish = await api<ApiError>(
      srv!,
      'POST',
      `${syncPath('alice/wordpress', '2.0')}/publish`,
      { bearer: alice.token },
    );
    expect([republish.status, republish.body.error.code]).to.deep.equal([409, 'conflict']);
  });

  it('lets only those who may push publish, and only members see the job', async () => {
    await pushDraft('alice/wordpress', '3.0', await templateFor('3.0'));
    const bob = await loginWithPhone(srv!, '+4915112349002', 'bob');
    const path = `${syncPath('alice/wordpress', '3.0')}/publish`;
    expect((await api(srv!, 'POST', path)).status).to.equal(401);
    expect((await api(srv!, 'POST', path, { bearer: bob.token })).status).to.equal(404);
    expect(
      (await api(srv!, 'GET', `${syncPath('alice/wordpress', '1.0')}/sync`, { bearer: bob.token }))
        .status,
    ).to.equal(404);
    const readOnly = await api<{ key: string }>(srv!, 'POST', '/api/v1/keys', {
      bearer: alice.token,
      body: { name: 'read', scopes: ['read'] },
    });
    expect((await api(srv!, 'POST', path, { bearer: readOnly.body.key })).status).to.equal(403);
    expect(
      (
        await api(srv!, 'POST', path, {
          bearer: alice.token,
          body: { credentials: [{ registry: 'x' }] },
        })
      ).status,
    ).to.equal(400);
    expect((await versionRow(srv!, 'alice', 'wordpress', '3.0'))?.state).to.equal('draft');
  });

  it('takes up a job a restart left copying', async () => {
    const data = await mkdtemp(join(tmpdir(), 'appshelf-publish-restart-'));
    let first: TestServer | undefined;
    let second: TestServer | undefined;
    try {
      first = await startTestServer({}, { data });
      const reg = new TestRegistryClient(first.url);
      await pushTemplate(reg, 'acme/shop', await templateFor('1.0'), '1.0');
      const version = (await versionRow(first, 'acme', 'shop', '1.0'))!;
      // The credentials a Rainstore publish keeps for the sync of its draft (the request's are gone).
      const now = Date.now();
      await sourceCredentialRepository(first.app.store).keep(
        version.id,
        [MYSQL, WORDPRESS].map((key, i) => ({
          path: `apps[${i}].service_image`,
          kind: 'component' as const,
          key,
          hubUrl: dist!.host,
          user: DISTRIBUTION_USER.username,
          password: DISTRIBUTION_USER.password,
        })),
        now,
      );
      // What a crash mid-copy leaves: the version syncing, the job copying, one component started.
      // No API writes such a state: the rows are set as the crashed process left them.
      await sqlRun(
        first.app.store,
        sql`UPDATE versions SET state = 'syncing' WHERE id = ${version.id}`,
      );
      const pending = (key: string, state: 'pending' | 'copying', source: string) => ({
        serviceKey: key,
        source,
        state,
        bytesDone: 0,
        bytesTotal: 0,
      });
      const jobComponents = JSON.stringify([
        pending(MYSQL, 'copying', `${dist!.host}/upstream/mysql:8.0.36`),
        pending(WORDPRESS, 'pending', `${dist!.host}/upstream/wordpress:6.5.5-apache`),
      ]);
      await sqlRun(
        first.app.store,
        sql`INSERT INTO sync_jobs (version_id, state, components, created_at, updated_at)
            VALUES (${version.id}, 'copying', ${jobComponents}, ${now}, ${now})`,
      );
      await first.close();
      second = await startTestServer({}, { data });
      const job = await waitForJob(second, 'acme/shop', '1.0', ADMIN_KEY);
      expect([job.state, job.progress]).to.deep.equal(['done', { done: 2, total: 2 }]);
      expect((await versionRow(second, 'acme', 'shop', '1.0'))?.state).to.equal('ready');
      const kept = await sqlRows(
        second.app.store,
        sql`SELECT * FROM source_credentials WHERE version_id = ${version.id}`,
      );
      expect(kept, 'the bundle ends the credentials kept for the sync').to.deep.equal([]);
    } finally {
      await first?.close();
      await second?.close();
      await rm(data, { recursive: true, force: true });
    }
  });
});

async function versionRow(
  srv: TestServer,
  namespace: string,
  name: string,
  version: string,
): Promise<{ id: number; state: string } | undefined> {
  const [row] = await sqlRows<{ id: number; state: string }>(
    srv.app.store,
    sql`SELECT v.id AS id, v.state AS state FROM versions v JOIN apps a ON a.id = v.app_id
        WHERE a.namespace = ${namespace} AND a.name = ${name} AND v.version = ${version}`,
  );
  return row;
}

async function componentRows(srv: TestServer, namespace: string, name: string, version: string) {
  const row = await versionRow(srv, namespace, name, version);
  return sqlRows<{ serviceKey: string; imageDigest: string }>(
    srv.app.store,
    sql`SELECT service_key AS "serviceKey", image_digest AS "imageDigest" FROM components
        WHERE version_id = ${row!.id} ORDER BY service_key`,
  );
}
