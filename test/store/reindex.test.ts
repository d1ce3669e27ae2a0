/**
 * POST /api/v1/admin/reindex rebuilds the store's rows from the registry: from an emptied store
 * database it reproduces the same apps, versions and components; it keeps what only the store
 * knows (app texts, app keys, version aliases) and drops versions whose tag is gone.
 */
import { readFile } from 'node:fs/promises';
import { expect } from 'chai';
import { and, asc, eq } from 'drizzle-orm';
import { componentTag } from '../../schemas/bundle.js';
import { withoutSourceCredentials } from '../../schemas/source-credentials.js';
import { apps, components, syncJobs, versions } from '../../server/db/store-schema.js';
import { api, loginWithPhone, type ApiError } from '../helpers/accounts.js';
import { TestRegistryClient } from '../helpers/registry-client.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { pushBundle, pushTemplate } from './app-pushes.js';

const SAMPLE = new URL('../fixtures/ram/valid/wordpress-mysql.json', import.meta.url);
const MINIMAL = new URL('../fixtures/ram/valid/minimal.json', import.meta.url);

interface Report {
  apps: number;
  versions: number;
  components: number;
  skipped: { repository: string; tag: string; reason: string }[];
}

describe('store: reindex from the registry', function () {
  this.timeout(30_000);
  let srv: TestServer;
  let serviceKeys: string[];

  const reindex = (bearer = ADMIN_KEY) =>
    api<Report | ApiError>(srv, 'POST', '/api/v1/admin/reindex', { bearer });

  before(async () => {
    srv = await startTestServer();
    const reg = new TestRegistryClient(srv.url);
    // Pushed without its registry credentials: a template with a password is refused on /v2.
    const sample = withoutSourceCredentials(
      JSON.parse(await readFile(SAMPLE, 'utf8')) as {
        group_version: string;
        apps: { service_key: string }[];
      },
    );
    serviceKeys = sample.apps.map((a) => a.service_key);
    const withVersion = (t: object, v: string) =>
      Buffer.from(JSON.stringify({ ...t, group_version: v }));
    await pushBundle(reg, 'acme/wordpress', '1.0', withVersion(sample, '1.0'), serviceKeys);
    await pushBundle(reg, 'acme/wordpress', '1.1', withVersion(sample, '1.1'), serviceKeys);
    await pushTemplate(reg, 'acme/wordpress', withVersion(sample, '2.0'), '2.0');
    const minimal = JSON.parse(await readFile(MINIMAL, 'utf8')) as object;
    await pushTemplate(reg, 'acme/notes', withVersion(minimal, '0.1'), '0.1');
    await reg.pushImage('acme/plain', 'latest'); // an image, not an app: no rows
    await reg.pushImage('acme/deep/image', '1'); // not `<namespace>/<app>`
  });

  after(() => srv.close());

  function snapshot() {
    const appRows = srv.app.db
      .select({ namespace: apps.namespace, name: apps.name })
      .from(apps)
      .orderBy(asc(apps.namespace), asc(apps.name))
      .all();
    const versionRows = srv.app.db
      .select({
        app: apps.name,
        version: versions.version,
        state: versions.state,
        manifestDigest: versions.manifestDigest,
        templateDigest: versions.templateDigest,
        template: versions.template,
        description: versions.description,
        rainbondVersion: versions.rainbondVersion,
      })
      .from(versions)
      .innerJoin(apps, eq(apps.id, versions.appId))
      .orderBy(asc(apps.name), asc(versions.version))
      .all();
    const componentRows = srv.app.db
      .select({
        app: apps.name,
        version: versions.version,
        serviceKey: components.serviceKey,
        name: components.name,
        imageDigest: components.imageDigest,
        sourceRef: components.sourceRef,
      })
      .from(components)
      .innerJoin(versions, eq(versions.id, components.versionId))
      .innerJoin(apps, eq(apps.id, versions.appId))
      .orderBy(asc(apps.name), asc(versions.version), asc(components.serviceKey))
      .all();
    return { apps: appRows, versions: versionRows, components: componentRows };
  }

  const appRow = (name: string) =>
    srv.app.db
      .select()
      .from(apps)
      .where(and(eq(apps.namespace, 'acme'), eq(apps.name, name)))
      .get();

  it('reproduces the same apps, versions and components from an emptied store database', async () => {
    const before = snapshot();
    expect(before.apps.map((a) => a.name)).to.deep.equal(['notes', 'wordpress']);
    expect(before.versions.map((v) => [v.app, v.version, v.state])).to.deep.equal([
      ['notes', '0.1', 'draft'],
      ['wordpress', '1.0', 'ready'],
      ['wordpress', '1.1', 'ready'],
      ['wordpress', '2.0', 'draft'],
    ]);
    srv.app.db.delete(apps).run(); // versions and components go with them
    expect(snapshot()).to.deep.equal({ apps: [], versions: [], components: [] });

    const res = await reindex();
    expect(res.status, res.text).to.equal(200);
    expect(res.body).to.deep.equal({
      apps: 2,
      versions: 4,
      components: before.components.length,
      skipped: [],
    });
    expect(snapshot()).to.deep.equal(before);
    // the store's component tags still name the component images, and none became a version
    for (const c of before.components.filter((x) => x.version === '1.1')) {
      expect(
        await srv.app.registry.meta.tagDigest('acme/wordpress', componentTag('1.1', c.serviceKey)),
      ).to.equal(c.imageDigest);
    }
  });

  it("keeps the store's own fields and drops versions whose tag is gone", async () => {
    const app = appRow('wordpress')!;
    srv.app.db
      .update(apps)
      .set({
        introduction: 'Blogs, with a database.',
        summary: 'WordPress and MySQL',
        listed: true,
      })
      .where(eq(apps.id, app.id))
      .run();
    srv.app.db
      .update(versions)
      .set({ alias: 'first' })
      .where(and(eq(versions.appId, app.id), eq(versions.version, '1.0')))
      .run();
    const created = srv.app.db
      .select({ createdAt: versions.createdAt })
      .from(versions)
      .where(and(eq(versions.appId, app.id), eq(versions.version, '1.0')))
      .get()!.createdAt;
    // drift: a tag removed behind the store's back, and rows lost for another app
    await srv.app.registry.meta.deleteTag('acme/wordpress', '1.1');
    srv.app.db
      .delete(versions)
      .where(eq(versions.appId, appRow('notes')!.id))
      .run();

    const res = await reindex();
    expect(res.status, res.text).to.equal(200);
    expect((res.body as Report).versions).to.equal(3);
    const after = appRow('wordpress')!;
    expect(after).to.include({
      id: app.id,
      appKey: app.appKey,
      introduction: 'Blogs, with a database.',
      summary: 'WordPress and MySQL',
      listed: true,
      updatedAt: app.updatedAt,
    });
    expect(snapshot().versions.map((v) => [v.app, v.version])).to.deep.equal([
      ['notes', '0.1'],
      ['wordpress', '1.0'],
      ['wordpress', '2.0'],
    ]);
    const first = srv.app.db
      .select()
      .from(versions)
      .where(and(eq(versions.appId, app.id), eq(versions.version, '1.0')))
      .get()!;
    expect([first.alias, first.createdAt]).to.deep.equal(['first', created]);
    for (const key of serviceKeys)
      expect(
        await srv.app.registry.meta.tagDigest('acme/wordpress', componentTag('1.1', key)),
      ).to.equal(undefined);
  });

  it('is for admins only, and waits for running image syncs', async () => {
    const user = await loginWithPhone(srv, '+4915112349101', 'carol');
    const denied = await reindex(user.token);
    expect([denied.status, (denied.body as ApiError).error.code]).to.deep.equal([403, 'forbidden']);
    expect((await api(srv, 'POST', '/api/v1/admin/reindex')).status).to.equal(401);

    const draft = srv.app.db.select().from(versions).where(eq(versions.version, '2.0')).get()!;
    const job = srv.app.db
      .insert(syncJobs)
      .values({
        versionId: draft.id,
        state: 'pending',
        components: '[]',
        createdAt: Date.now(),
        updatedAt: Date.now(),
      })
      .returning()
      .get();
    try {
      const busy = await reindex();
      expect([busy.status, (busy.body as ApiError).error.code]).to.deep.equal([409, 'conflict']);
    } finally {
      srv.app.db.delete(syncJobs).where(eq(syncJobs.id, job.id)).run();
    }
  });
});
