/**
 * Search finds an app by what it is made of: the names (service_cname) and image references of
 * its components, as the indexer writes them from a pushed template. A store made before the
 * components were searchable indexes its existing components when it starts (the 0013 migration).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { and, eq, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { apps, packages } from '../../server/db/store-schema.js';
import { describeDialects } from '../helpers/dialects.js';
import { RAM_SAMPLES } from '../helpers/ram-samples.js';
import { TestRegistryClient } from '../helpers/registry-client.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { pushTemplate } from '../store/app-pushes.js';
import { refs, search } from './search-fixtures.js';
import { startSearchServer, type SearchServer } from './search-server.js';

const RAM = new URL('valid/', RAM_SAMPLES);
const MIGRATIONS = fileURLToPath(new URL('../../server/db/migrations', import.meta.url));

interface RamApp {
  service_cname?: string;
  share_image?: string;
  [key: string]: unknown;
}

/**
 * The WordPress + MySQL sample, its MySQL component on a Percona image (a word no other field
 * has), or, with `database`, that component renamed and on a MariaDB image.
 */
function wordpressTemplate(database?: { name: string; image: string }): Buffer {
  // The store refuses templates carrying source registry passwords: blank them.
  const text = readFileSync(new URL('wordpress-mysql.json', RAM), 'utf8').replace(
    /"(hub_user|hub_password)": "[^"]*"/g,
    '"$1": ""',
  );
  const template = JSON.parse(text) as { apps: RamApp[] };
  for (const app of template.apps)
    if (app.service_cname === 'MySQL') {
      app.service_cname = database?.name ?? 'MySQL';
      app.share_image = database?.image ?? 'docker.io/library/percona:8.0';
    }
  return Buffer.from(JSON.stringify(template));
}

/** Lists the app and gives it a package: on the shelf, found by anyone. */
function putOnShelf(srv: TestServer, namespace: string, name: string): void {
  const app = srv.app.db
    .select({ id: apps.id })
    .from(apps)
    .where(and(eq(apps.namespace, namespace), eq(apps.name, name)))
    .get();
  if (!app) throw new Error(`no app ${namespace}/${name}`);
  srv.app.db.update(apps).set({ listed: true }).where(eq(apps.id, app.id)).run();
  srv.app.db
    .insert(packages)
    .values({ appId: app.id, name: 'free', versions: '["1.0.0"]', createdAt: Date.now() })
    .run();
}

describe('search: components', function () {
  this.timeout(30_000);
  let srv: TestServer;
  let reg: TestRegistryClient;
  before(async () => {
    srv = await startTestServer();
    reg = new TestRegistryClient(srv.url, { username: 'admin', password: ADMIN_KEY });
    await pushTemplate(reg, 'acme/press', wordpressTemplate(), '1.0.0');
    putOnShelf(srv, 'acme', 'press');
  });
  after(() => srv.close());

  it('finds an app by the name of a component', async () => {
    const r = await search(srv.url, { q: 'mysql' });
    expect([r.status, refs(r)]).to.deep.equal([200, ['acme/press']]);
  });

  it('finds an app by the image of a component', async () => {
    const r = await search(srv.url, { q: 'percona' });
    expect(refs(r)).to.deep.equal(['acme/press']);
  });

  it('follows a component renamed and moved to another image', async () => {
    const database = { name: 'Database', image: 'docker.io/library/mariadb:11' };
    await pushTemplate(reg, 'acme/press', wordpressTemplate(database), '1.0.0');
    const found = await Promise.all(
      ['mysql', 'percona', 'mariadb', 'wordpress'].map(async (q) =>
        refs(await search(srv.url, { q })),
      ),
    );
    expect(found).to.deep.equal([[], [], ['acme/press'], ['acme/press']]);
  });

  it('no longer finds it once the version with the component is deleted', async () => {
    await pushTemplate(reg, 'acme/press', wordpressTemplate(), '2.0.0');
    expect(refs(await search(srv.url, { q: 'percona' }))).to.deep.equal(['acme/press']);
    const res = await reg.request('DELETE', '/v2/acme/press/manifests/2.0.0');
    expect(res.status).to.equal(202);
    expect(refs(await search(srv.url, { q: 'percona' }))).to.deep.equal([]);
  });
});

describe('search: components of a store made before they were searchable', function () {
  this.timeout(30_000);
  let data: string;
  let srv: TestServer | undefined;
  before(async () => {
    data = mkdtempSync(join(tmpdir(), 'appshelf-search-old-'));
    // The migrations as they stood before 0013, applied to a new database with one app in it.
    const old = join(data, 'migrations');
    cpSync(MIGRATIONS, old, { recursive: true });
    const journalFile = join(old, 'meta', '_journal.json');
    const journal = JSON.parse(readFileSync(journalFile, 'utf8')) as {
      entries: { tag: string }[];
    };
    journal.entries = journal.entries.filter((e) => e.tag < '0013');
    writeFileSync(journalFile, JSON.stringify(journal));
    const sqlite = new Database(join(data, 'appshelf.db'));
    migrate(drizzle({ client: sqlite }), { migrationsFolder: old });
    const now = Date.now();
    const app = sqlite
      .prepare(
        `INSERT INTO apps (app_key, namespace, name, display_name, listed, created_at, updated_at)
         VALUES ('00000000000000000000000000000001', 'acme', 'press', 'Press', 1, ?, ?)`,
      )
      .run(now, now).lastInsertRowid;
    const version = sqlite
      .prepare(
        `INSERT INTO versions (app_id, version, state, manifest_digest, template_digest, template, created_at, updated_at)
         VALUES (?, '1.0.0', 'draft', 'sha256:${'1'.repeat(64)}', 'sha256:${'2'.repeat(64)}', '{}', ?, ?)`,
      )
      .run(app, now, now).lastInsertRowid;
    sqlite
      .prepare(
        `INSERT INTO components (version_id, service_key, name, source_ref) VALUES (?, 'db', 'MySQL', 'docker.io/library/percona:8.0')`,
      )
      .run(version);
    sqlite
      .prepare(
        `INSERT INTO packages (app_id, name, type, versions, created_at) VALUES (?, 'free', 'free', '["1.0.0"]', ?)`,
      )
      .run(app, now);
    sqlite.close();
    rmSync(old, { recursive: true });
    srv = await startTestServer({}, { data });
  });
  after(async () => {
    await srv?.close();
    rmSync(data, { recursive: true, force: true });
  });

  it('indexes the existing components when it starts', async () => {
    const found = await Promise.all(
      ['mysql', 'percona'].map(async (q) => refs(await search(srv!.url, { q }))),
    );
    expect(found).to.deep.equal([['acme/press'], ['acme/press']]);
  });
});

// The same matches with the component rows written directly, on both engines: the PostgreSQL
// run has no registry to push through yet (docs/decisions/0003), the triggers are what it tests.
describeDialects('search: components, as rows', ({ dialect }) => {
  let srv: SearchServer;
  let appId: number;
  before(async () => {
    srv = await startSearchServer(dialect);
    appId = await srv.insert({
      name: 'press',
      summary: 'a blog',
      versions: [{ version: '1.0.0' }],
    });
    await srv.insert({ name: 'other', summary: 'a blog with components named alike' });
    await srv.run(
      sql`INSERT INTO components (version_id, service_key, name, source_ref)
        SELECT id, 'db', 'MySQL', 'docker.io/library/percona:8.0' FROM versions WHERE app_id = ${appId}`,
    );
  });
  after(() => srv.close());

  it('finds an app by the name and the image of a component', async () => {
    expect(refs(await search(srv.url, { q: 'mysql' }))).to.deep.equal(['acme/press']);
    expect(refs(await search(srv.url, { q: 'percona' }))).to.deep.equal(['acme/press']);
  });

  it('follows a component renamed and moved to another image', async () => {
    await srv.run(
      sql`UPDATE components SET name = 'Database', source_ref = 'docker.io/library/mariadb:11'
        WHERE version_id IN (SELECT id FROM versions WHERE app_id = ${appId})`,
    );
    const found = await Promise.all(
      ['mysql', 'percona', 'mariadb'].map(async (q) => refs(await search(srv.url, { q }))),
    );
    expect(found).to.deep.equal([[], [], ['acme/press']]);
  });

  it('no longer finds it once the version with the component is deleted', async () => {
    await srv.run(sql`DELETE FROM versions WHERE app_id = ${appId}`);
    expect(refs(await search(srv.url, { q: 'mariadb' }))).to.deep.equal([]);
  });
});

// PostgreSQL has four weight classes: components share the display name's (B). The field
// factor still tells them apart (the display name is re-checked on its column), so a display
// name outranks a component there as on SQLite.
// Two apps of two match the word (a broad term, scored by its best column); with three more
// apps it is a rare one, scored by bm25 / ts_rank_cd.
for (const others of [0, 3])
  describeDialects(
    `search: a component next to a display name (${others ? 'rare' : 'broad'} word)`,
    ({ dialect }) => {
      let srv: SearchServer;
      before(async () => {
        srv = await startSearchServer(dialect);
        const id = await srv.insert({ name: 'press', summary: 'a blog', installs: 500 });
        await srv.run(
          sql`INSERT INTO components (version_id, service_key, name, source_ref)
        SELECT id, 'db', 'MySQL', 'docker.io/library/percona:8.0' FROM versions WHERE app_id = ${id}`,
        );
        await srv.insert({
          name: 'monitor',
          displayName: 'Percona Monitor',
          updatedAt: Date.now() - 3e10,
        });
        for (let i = 0; i < others; i++)
          await srv.insert({ name: `other-${i}`, summary: 'unrelated' });
      });
      after(() => srv.close());

      it('ranks the display name first', async () => {
        const r = await search(srv.url, { q: 'percona' });
        expect(refs(r)).to.deep.equal(['acme/monitor', 'acme/press']);
      });
    },
  );
