/**
 * What the Rainstore API, the kept source credentials and the data migrations read and write
 * through their repositories (decision 0003, packages H and E), on both engines: the catalog's
 * snapshot of apps with versions, a version's update, kept credentials, the robots' users and
 * the record of data migrations.
 */
import { expect } from 'chai';
import pino from 'pino';
import { sql } from 'drizzle-orm';
import type { RamTemplate } from '../../schemas/ram.js';
import type { Digest } from '../../schemas/oci.js';
import type { SourceCredential } from '../../schemas/source-credentials.js';
import { userRepository } from '../../server/accounts/user-repository.js';
import { dataMigrationRepository } from '../../server/db/data-migration-repository.js';
import { runDataMigrations } from '../../server/db/data-migrations.js';
import { openPgStore, type StoreDatabase } from '../../server/db/store-database.js';
import {
  appRepositories,
  type AppRepositories,
  type VersionUpsert,
} from '../../server/store/app-repository.js';
import type { AppContent } from '../../server/store/bundle-reader.js';
import { sourceCredentialRepository } from '../../server/store/source-credential-repository.js';
import { describeDialects } from '../helpers/dialects.js';

const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}` as Digest;

function content(kind: AppContent['kind'], keys: string[]): AppContent {
  return {
    kind,
    templateDigest: digest(1),
    template: {
      group_name: 'Shop',
      apps: keys.map((k) => ({ service_key: k, service_cname: k.toUpperCase() })),
    } as unknown as RamTemplate,
    components: keys.map((k, i) => ({
      serviceKey: k,
      imageDigest: kind === 'bundle' ? digest(100 + i) : null,
      source: `docker.io/library/${k}`,
    })),
    annotations: {},
    warnings: [],
  };
}

function push(
  name: string,
  version: string,
  kind: AppContent['kind'] = 'bundle',
  now = 1_700_000_000_000,
): VersionUpsert {
  return {
    ref: { namespace: 'acme', name },
    version,
    manifestDigest: digest(now % 1000),
    content: content(kind, ['web']),
    now,
    newAppKey: `key-${name}`,
  };
}

function credential(key: string, user: string, extra: Partial<SourceCredential> = {}) {
  return {
    path: `apps[0].service_image`,
    kind: 'component',
    key,
    hubUrl: 'registry.example.com',
    user,
    password: `${user}-secret`,
    ...extra,
  } satisfies SourceCredential;
}

async function addNamespace(store: StoreDatabase, name: string): Promise<void> {
  const insert = sql`INSERT INTO namespaces (name, kind, display_name, created_at) VALUES (${name}, 'org', ${name}, 1)`;
  if (store.dialect === 'sqlite') store.db.run(insert);
  else await store.db.execute(insert);
}

const silent = pino({ level: 'silent' });

describeDialects('the Rainstore and migration repositories', ({ dialect, open }) => {
  let store: StoreDatabase;
  let repos: AppRepositories;
  beforeEach(async () => {
    store = await open();
    repos = appRepositories(store);
    await addNamespace(store, 'acme');
  });

  it('finds an app by its key', async () => {
    await repos.versions.upsert(push('shop', '1.0'), () => {});
    const app = await repos.apps.findByKey('key-shop');
    expect(app).to.include({ namespace: 'acme', name: 'shop' });
    expect(await repos.apps.findByKey('key-none')).to.equal(undefined);
  });

  it('lists every app with its versions, on the shelf when listed with a package', async () => {
    await repos.versions.upsert(push('shop', '1.0'), () => {});
    await repos.versions.upsert(push('shop', '2.0'), () => {});
    await repos.versions.upsert(push('blog', '0.1', 'template'), () => {});
    await repos.apps.create({
      appKey: 'key-empty',
      namespace: 'acme',
      name: 'empty',
      displayName: 'empty',
      createdAt: 1,
      updatedAt: 1,
    });
    const shop = (await repos.apps.findByKey('key-shop'))!;
    await repos.apps.update(shop.id, { listed: true });
    expect(
      await repos.packages.create(shop.id, {
        name: 'free',
        type: 'free',
        versions: ['1.0'],
        createdAt: 2,
      }),
    ).to.have.property('kind', 'created');
    const blog = (await repos.apps.findByKey('key-blog'))!;
    await repos.apps.update(blog.id, { listed: true });

    const listed = await repos.apps.withVersions();
    const byName = new Map(listed.map((e) => [e.app.name, e]));
    expect([...byName.keys()].sort()).to.deep.equal(['blog', 'empty', 'shop']);
    expect(byName.get('shop')!.onShelf).to.equal(true);
    expect(
      byName
        .get('shop')!
        .versions.map((v) => v.version)
        .sort(),
    ).to.deep.equal(['1.0', '2.0']);
    // Listed without a package is not on the shelf, nor is a package of an unlisted app.
    expect(byName.get('blog')!.onShelf).to.equal(false);
    expect(byName.get('blog')!.versions.map((v) => v.state)).to.deep.equal(['draft']);
    expect(byName.get('empty')).to.deep.include({ onShelf: false, versions: [] });
    await repos.apps.update(shop.id, { listed: false });
    const unlisted = (await repos.apps.withVersions()).find((e) => e.app.name === 'shop')!;
    expect(unlisted.onShelf).to.equal(false);
  });

  it("updates a version's columns and reads every version with its app", async () => {
    await repos.versions.upsert(push('shop', '1.0'), () => {});
    const app = (await repos.apps.findByKey('key-shop'))!;
    const row = (await repos.versions.get(app.id, '1.0'))!;
    const updated = await repos.versions.update(row.id, {
      alias: 'first',
      rainbondVersion: 'v6',
      arch: 'arm64',
      isPlugin: true,
      updatedAt: 42,
      updateVersion: 7,
    });
    expect(updated).to.include({
      id: row.id,
      alias: 'first',
      rainbondVersion: 'v6',
      arch: 'arm64',
      isPlugin: true,
      updatedAt: 42,
      updateVersion: 7,
    });
    expect(await repos.versions.update(row.id + 1000, { alias: 'x' })).to.equal(undefined);
    const all = await repos.versions.allWithApp();
    expect(all).to.have.length(1);
    expect(all[0]!.app).to.deep.equal({
      id: app.id,
      namespace: 'acme',
      name: 'shop',
      updatedAt: app.updatedAt,
    });
    expect(all[0]!.version).to.deep.equal(updated);
  });

  it("keeps a draft's component credentials, replacing the previous ones", async () => {
    const credentials = sourceCredentialRepository(store);
    const versionId = await repos.versions.upsert(push('shop', '1.0', 'template'), () => {});
    await credentials.keep(
      versionId,
      [
        credential('web', 'alice'),
        credential('web', 'mallory'),
        credential('db', ''),
        credential('cache', 'bob', { kind: 'plugin' }),
      ],
      10,
    );
    expect(await credentials.forComponent(versionId, 'web')).to.deep.equal({
      hubUrl: 'registry.example.com',
      username: 'alice',
      password: 'alice-secret',
    });
    // No user, or a plugin's: nothing kept.
    expect(await credentials.forComponent(versionId, 'db')).to.equal(undefined);
    expect(await credentials.forComponent(versionId, 'cache')).to.equal(undefined);

    await credentials.keep(versionId, [credential('db', 'carol')], 11);
    expect(await credentials.forComponent(versionId, 'web')).to.equal(undefined);
    expect(await credentials.forComponent(versionId, 'db')).to.include({ username: 'carol' });

    // A new template under the version ends them (VersionRepository.upsert).
    await repos.versions.upsert(push('shop', '1.0', 'template', 1_700_000_001_000), () => {});
    expect(await credentials.forComponent(versionId, 'db')).to.equal(undefined);
  });

  it('ends concurrent keeps of one version with one of their sets', async () => {
    const credentials = sourceCredentialRepository(store);
    const versionId = await repos.versions.upsert(push('shop', '1.0', 'template'), () => {});
    const users = ['u1', 'u2', 'u3', 'u4', 'u5'];
    await Promise.all(
      users.map((u) => credentials.keep(versionId, [credential('web', u), credential('db', u)], 1)),
    );
    const web = await credentials.forComponent(versionId, 'web');
    const db = await credentials.forComponent(versionId, 'db');
    expect(users).to.include(web!.username);
    expect(db!.username).to.equal(web!.username);
  });

  it("creates an app's robot once, without a namespace, also when first sights race", async () => {
    const users = userRepository(store);
    expect(await users.firstCreatedAt()).to.equal(undefined);
    const robots = await Promise.all(
      [5, 6, 7].map((at) => users.ensureRobot('robot$k1', 'robot of acme/shop', 1_000 + at)),
    );
    expect(new Set(robots.map((r) => r.id)).size).to.equal(1);
    expect(robots[0]).to.include({ name: 'robot$k1', displayName: 'robot of acme/shop' });
    expect(await users.nameTaken('robot$k1')).to.equal(false);
    await users.create({ name: 'alice', createdAt: 900 });
    expect(await users.firstCreatedAt()).to.equal(900);
  });

  it('records a data migration once; one that failed runs again at the next start', async () => {
    const record = dataMigrationRepository(store);
    expect(await record.applied('0001-x')).to.equal(false);
    await record.record('0001-x', 5, { versions: 2 });
    await record.record('0001-x', 6, { versions: 3 });
    expect(await record.applied('0001-x')).to.equal(true);

    const ran: string[] = [];
    let failing = true;
    const migrations = [
      { name: '0001-x', run: async () => (ran.push('x'), {}) },
      {
        name: '0002-y',
        run: async () => {
          ran.push('y');
          if (failing) throw new Error('not yet');
          return { rows: 1 };
        },
      },
    ];
    const deps = { store, log: silent, clock: () => 7 };
    await runDataMigrations(deps, migrations);
    expect(await record.applied('0002-y')).to.equal(false);
    failing = false;
    await runDataMigrations(deps, migrations);
    await runDataMigrations(deps, migrations);
    expect(ran).to.deep.equal(['y', 'y']);
    expect(await record.applied('0002-y')).to.equal(true);
    const detail = sql`SELECT detail FROM data_migrations WHERE name = '0002-y'`;
    const rows =
      store.dialect === 'sqlite'
        ? store.db.all<{ detail: string }>(detail)
        : (await store.db.execute<{ detail: string }>(detail)).rows;
    expect(rows.map((r) => JSON.parse(r.detail) as unknown)).to.deep.equal([{ rows: 1 }]);
  });

  it('runs a data migration once when two processes start together on one database', async function () {
    if (dialect !== 'postgres' || store.dialect !== 'postgres') this.skip();
    const other = await openPgStore(store.pool.options.connectionString!);
    try {
      let runs = 0;
      let running = 0;
      let overlapped = false;
      const slow = {
        name: '0003-slow',
        run: async () => {
          runs++;
          overlapped ||= ++running > 1;
          await new Promise((resolve) => setTimeout(resolve, 200));
          running--;
          return { rows: runs };
        },
      };
      await Promise.all(
        [store, other].map((s) =>
          runDataMigrations({ store: s, log: silent, clock: () => 1 }, [slow]),
        ),
      );
      expect({ runs, overlapped }).to.deep.equal({ runs: 1, overlapped: false });
      expect(await dataMigrationRepository(other).applied('0003-slow')).to.equal(true);
    } finally {
      await other.close();
    }
  });
});
