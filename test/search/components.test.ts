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
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import {
  describeDialects,
  dropPgDatabase,
  emptyPgDatabaseUrl,
  type DialectName,
} from '../helpers/dialects.js';
import { PG_MIGRATIONS } from '../helpers/postgres.js';
import { RAM_SAMPLES } from '../helpers/ram-samples.js';
import { TestRegistryClient } from '../helpers/registry-client.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { sqlRows } from '../helpers/store-sql.js';
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
async function putOnShelf(srv: SearchServer, namespace: string, name: string): Promise<void> {
  const { store } = srv.test.app;
  const [app] = await sqlRows<{ id: number }>(
    store,
    sql`SELECT id FROM apps WHERE namespace = ${namespace} AND name = ${name}`,
  );
  if (!app) throw new Error(`no app ${namespace}/${name}`);
  await srv.run(sql`UPDATE apps SET listed = true WHERE id = ${app.id}`);
  await srv.run(
    sql`INSERT INTO packages (app_id, name, versions, created_at) VALUES (${app.id}, 'free', '["1.0.0"]', ${Date.now()})`,
  );
}

describeDialects('search: components', ({ dialect }) => {
  let srv: SearchServer;
  let reg: TestRegistryClient;
  before(async () => {
    srv = await startSearchServer(dialect);
    reg = new TestRegistryClient(srv.url, { username: 'admin', password: ADMIN_KEY });
    await pushTemplate(reg, 'acme/press', wordpressTemplate(), '1.0.0');
    await putOnShelf(srv, 'acme', 'press');
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

/**
 * A copy of an engine's migrations as they stood before the one that made components
 * searchable (`before`, a tag prefix), in `dir`.
 */
function migrationsBefore(source: string, before: string, dir: string): string {
  const old = join(dir, 'migrations');
  cpSync(source, old, { recursive: true });
  const journalFile = join(old, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalFile, 'utf8')) as { entries: { tag: string }[] };
  journal.entries = journal.entries.filter((e) => e.tag < before);
  writeFileSync(journalFile, JSON.stringify(journal));
  return old;
}

const OLD_APP = {
  app: `INSERT INTO apps (app_key, namespace, name, display_name, listed, created_at, updated_at)
    VALUES ('00000000000000000000000000000001', 'acme', 'press', 'Press', true, $1, $1) RETURNING id`,
  version: `INSERT INTO versions (app_id, version, state, manifest_digest, template_digest, template, created_at, updated_at)
    VALUES ($1, '1.0.0', 'draft', 'sha256:${'1'.repeat(64)}', 'sha256:${'2'.repeat(64)}', '{}', $2, $2) RETURNING id`,
  component: `INSERT INTO components (version_id, service_key, name, source_ref) VALUES ($1, 'db', 'MySQL', 'docker.io/library/percona:8.0')`,
  package: `INSERT INTO packages (app_id, name, type, versions, created_at) VALUES ($1, 'free', 'free', '["1.0.0"]', $2)`,
};

/**
 * The store's database as an older build left it, one app with a component in it: SQLite's
 * migrations before 0013, PostgreSQL's before 0006 (their twin). Returns the `database` config
 * that opens it and a cleanup.
 */
async function oldStore(
  dialect: DialectName,
  data: string,
): Promise<{ database: { url?: string }; drop(): Promise<void> }> {
  const now = Date.now();
  if (dialect === 'sqlite') {
    const old = migrationsBefore(MIGRATIONS, '0013', data);
    const sqlite = new Database(join(data, 'appshelf.db'));
    migrate(drizzle({ client: sqlite }), { migrationsFolder: old });
    // better-sqlite3 names a parameter `@p1` (from an object), and takes 1 for true.
    const one = (text: string, values: unknown[]): number | undefined => {
      const statement = sqlite.prepare(text.replace(/\$(\d)/g, '@p$1').replace(' true,', ' 1,'));
      const params = Object.fromEntries(values.map((v, i) => [`p${i + 1}`, v]));
      return statement.reader
        ? (statement.get(params) as { id: number }).id
        : void statement.run(params);
    };
    const app = one(OLD_APP.app, [now]);
    const version = one(OLD_APP.version, [app, now]);
    one(OLD_APP.component, [version]);
    one(OLD_APP.package, [app, now]);
    sqlite.close();
    rmSync(old, { recursive: true });
    return { database: {}, drop: () => Promise.resolve() };
  }
  const name = `search_old_${process.pid}`;
  const url = await emptyPgDatabaseUrl(name);
  const old = migrationsBefore(PG_MIGRATIONS, '0006', data);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await migratePg(drizzlePg({ client }), { migrationsFolder: old });
    const one = async (text: string, values: unknown[]): Promise<number | undefined> =>
      (await client.query<{ id: number }>(text, values)).rows[0]?.id;
    const app = await one(OLD_APP.app, [now]);
    const version = await one(OLD_APP.version, [app, now]);
    await one(OLD_APP.component, [version]);
    await one(OLD_APP.package, [app, now]);
  } finally {
    await client.end();
  }
  rmSync(old, { recursive: true });
  return { database: { url }, drop: () => dropPgDatabase(name) };
}

describeDialects(
  'search: components of a store made before they were searchable',
  ({ dialect }) => {
    let data: string;
    let srv: TestServer | undefined;
    let drop: (() => Promise<void>) | undefined;
    before(async () => {
      data = mkdtempSync(join(tmpdir(), 'appshelf-search-old-'));
      const old = await oldStore(dialect, data);
      drop = old.drop;
      srv = await startTestServer({ database: old.database }, { data });
    });
    after(async () => {
      await srv?.close();
      await drop?.();
      rmSync(data, { recursive: true, force: true });
    });

    it('indexes the existing components when it starts', async () => {
      const found = await Promise.all(
        ['mysql', 'percona'].map(async (q) => refs(await search(srv!.url, { q }))),
      );
      expect(found).to.deep.equal([['acme/press'], ['acme/press']]);
    });
  },
);

// The same matches with the component rows written directly, on both engines: the triggers
// alone, without the indexer that writes the rows from a pushed template.
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
