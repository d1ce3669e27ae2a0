/**
 * POST /api/v1/admin/reindex rebuilds the store's rows from the registry: from an emptied store
 * database it reproduces the same apps, versions and components; it keeps what only the store
 * knows (app texts, app keys, version aliases) and drops versions whose tag is gone.
 */
import { readFile } from 'node:fs/promises';
import { expect } from 'chai';
import { sql, type SQL } from 'drizzle-orm';
import { componentTag } from '../../schemas/bundle.js';
import { withoutSourceCredentials } from '../../schemas/source-credentials.js';
import { api, loginWithPhone, type ApiError } from '../helpers/accounts.js';
import { TestRegistryClient } from '../helpers/registry-client.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { sqlRows, sqlRun } from '../helpers/store-sql.js';
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

  // The rows themselves, read and drifted with plain SQL: a reindex is judged by what it writes
  // to the tables, and the drift (rows lost, fields only the store knows) has no API.
  const rows = <T extends Record<string, unknown>>(query: SQL) => sqlRows<T>(srv.app.store, query);
  const run = (query: SQL) => sqlRun(srv.app.store, query);

  async function snapshot() {
    const appRows = await rows(sql`SELECT namespace, name FROM apps ORDER BY namespace, name`);
    const versionRows = await rows(
      sql`SELECT a.name AS app, v.version AS version, v.state AS state,
            v.manifest_digest AS "manifestDigest", v.template_digest AS "templateDigest",
            v.template AS template, v.description AS description,
            v.rainbond_version AS "rainbondVersion"
          FROM versions v JOIN apps a ON a.id = v.app_id
          ORDER BY a.name, v.version`,
    );
    const componentRows = await rows<{ version: string; serviceKey: string; imageDigest: string }>(
      sql`SELECT a.name AS app, v.version AS version, c.service_key AS "serviceKey",
            c.name AS name, c.image_digest AS "imageDigest", c.source_ref AS "sourceRef"
          FROM components c JOIN versions v ON v.id = c.version_id JOIN apps a ON a.id = v.app_id
          ORDER BY a.name, v.version, c.service_key`,
    );
    return { apps: appRows, versions: versionRows, components: componentRows };
  }

  /** An app's row; `listed` and `updatedAt` as JS types (PostgreSQL's boolean and bigint, SQLite's integers). */
  const appRow = async (name: string) => {
    const [row] = await rows<{
      id: number;
      appKey: string;
      introduction: string;
      summary: string;
      listed: unknown;
      updatedAt: unknown;
    }>(
      sql`SELECT id, app_key AS "appKey", introduction, summary, listed, updated_at AS "updatedAt"
          FROM apps WHERE namespace = 'acme' AND name = ${name}`,
    );
    return row && { ...row, listed: Boolean(row.listed), updatedAt: Number(row.updatedAt) };
  };

  /** `alias` and `created_at` of one of the app's versions. */
  const versionFields = async (appId: number, version: string) => {
    const [row] = await rows<{ alias: string | null; createdAt: unknown }>(
      sql`SELECT alias, created_at AS "createdAt" FROM versions
          WHERE app_id = ${appId} AND version = ${version}`,
    );
    return row && { alias: row.alias, createdAt: Number(row.createdAt) };
  };

  it('reproduces the same apps, versions and components from an emptied store database', async () => {
    const before = await snapshot();
    expect(before.apps.map((a) => a.name)).to.deep.equal(['notes', 'wordpress']);
    expect(before.versions.map((v) => [v.app, v.version, v.state])).to.deep.equal([
      ['notes', '0.1', 'draft'],
      ['wordpress', '1.0', 'ready'],
      ['wordpress', '1.1', 'ready'],
      ['wordpress', '2.0', 'draft'],
    ]);
    await run(sql`DELETE FROM apps`); // versions and components go with them
    expect(await snapshot()).to.deep.equal({ apps: [], versions: [], components: [] });

    const res = await reindex();
    expect(res.status, res.text).to.equal(200);
    expect(res.body).to.deep.equal({
      apps: 2,
      versions: 4,
      components: before.components.length,
      skipped: [],
    });
    expect(await snapshot()).to.deep.equal(before);
    // the store's component tags still name the component images, and none became a version
    for (const c of before.components.filter((x) => x.version === '1.1')) {
      expect(
        await srv.app.registry.meta.tagDigest('acme/wordpress', componentTag('1.1', c.serviceKey)),
      ).to.equal(c.imageDigest);
    }
  });

  it("keeps the store's own fields and drops versions whose tag is gone", async () => {
    const app = (await appRow('wordpress'))!;
    await run(
      sql`UPDATE apps SET introduction = 'Blogs, with a database.', summary = 'WordPress and MySQL',
            listed = TRUE
          WHERE id = ${app.id}`,
    );
    await run(
      sql`UPDATE versions SET alias = 'first' WHERE app_id = ${app.id} AND version = '1.0'`,
    );
    const created = (await versionFields(app.id, '1.0'))!.createdAt;
    // drift: a tag removed behind the store's back, and rows lost for another app
    await srv.app.registry.meta.deleteTag('acme/wordpress', '1.1');
    await run(sql`DELETE FROM versions WHERE app_id = ${(await appRow('notes'))!.id}`);

    const res = await reindex();
    expect(res.status, res.text).to.equal(200);
    expect((res.body as Report).versions).to.equal(3);
    const after = (await appRow('wordpress'))!;
    expect(after).to.include({
      id: app.id,
      appKey: app.appKey,
      introduction: 'Blogs, with a database.',
      summary: 'WordPress and MySQL',
      listed: true,
      updatedAt: app.updatedAt,
    });
    expect((await snapshot()).versions.map((v) => [v.app, v.version])).to.deep.equal([
      ['notes', '0.1'],
      ['wordpress', '1.0'],
      ['wordpress', '2.0'],
    ]);
    const first = (await versionFields(app.id, '1.0'))!;
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

    const [draft] = await rows<{ id: number }>(sql`SELECT id FROM versions WHERE version = '2.0'`);
    const now = Date.now();
    // A sync job still pending, written as a row so that it stays pending (a publish would run it).
    const [job] = await rows<{ id: number }>(
      sql`INSERT INTO sync_jobs (version_id, state, components, created_at, updated_at)
          VALUES (${draft!.id}, 'pending', '[]', ${now}, ${now}) RETURNING id`,
    );
    try {
      const busy = await reindex();
      expect([busy.status, (busy.body as ApiError).error.code]).to.deep.equal([409, 'conflict']);
    } finally {
      await run(sql`DELETE FROM sync_jobs WHERE id = ${job!.id}`);
    }
  });
});
