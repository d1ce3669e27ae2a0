/**
 * The app repositories (server/store/app-repository.ts) on both engines: the same behaviour, and
 * on PostgreSQL the same outcome when writes of one app run at once (the app row is locked where
 * SQLite's single writer ordered them).
 */
import { expect } from 'chai';
import { sql } from 'drizzle-orm';
import type { RamTemplate } from '../../schemas/ram.js';
import type { Digest } from '../../schemas/oci.js';
import type { StoreDatabase } from '../../server/db/store-database.js';
import {
  appRepositories,
  type AppRepositories,
  type ComponentTagChange,
  type RebuiltTags,
  type VersionUpsert,
} from '../../server/store/app-repository.js';
import type { AppContent } from '../../server/store/bundle-reader.js';
import { describeDialects } from '../helpers/dialects.js';

const ref = { namespace: 'acme', name: 'shop' };
const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}` as Digest;

function content(kind: AppContent['kind'], keys: string[], image = 100): AppContent {
  return {
    kind,
    templateDigest: digest(1),
    template: {
      group_name: 'Shop',
      apps: keys.map((k) => ({ service_key: k, service_cname: k.toUpperCase() })),
    } as unknown as RamTemplate,
    components: keys.map((k, i) => ({
      serviceKey: k,
      imageDigest: kind === 'bundle' ? digest(image + i) : null,
      source: `docker.io/library/${k}`,
    })),
    annotations: {},
    warnings: [],
  };
}

function input(version: string, c: AppContent, now = 1_700_000_000_000): VersionUpsert {
  return {
    ref,
    version,
    manifestDigest: digest(now % 1000),
    content: c,
    now,
    newAppKey: `key-${Math.random()}`,
  };
}

async function addNamespace(store: StoreDatabase, name: string): Promise<void> {
  const insert = sql`INSERT INTO namespaces (name, kind, display_name, created_at) VALUES (${name}, 'org', ${name}, 1)`;
  if (store.dialect === 'sqlite') store.db.run(insert);
  else await store.db.execute(insert);
}

describeDialects('the app repositories', ({ open }) => {
  let repos: AppRepositories;
  let store: StoreDatabase;
  beforeEach(async () => {
    store = await open();
    repos = appRepositories(store);
  });

  it('creates an app once, in an existing namespace only, also when creates race', async () => {
    const row = {
      appKey: 'k1',
      namespace: 'acme',
      name: 'shop',
      displayName: 'shop',
      createdAt: 1,
      updatedAt: 1,
    };
    expect(await repos.apps.create(row)).to.equal('no_namespace');
    await addNamespace(store, 'acme');
    const results = await Promise.all(
      [1, 2, 3, 4, 5].map((i) => repos.apps.create({ ...row, appKey: `k${i}` })),
    );
    expect(results.filter((r) => typeof r === 'object')).to.have.length(1);
    expect(results.filter((r) => r === 'exists')).to.have.length(4);
    expect(await repos.apps.refs()).to.deep.equal([ref]);
    const app = await repos.apps.find(ref);
    expect(app?.listed).to.equal(false);
    const changed = await repos.apps.update(app!.id, { listed: true, summary: 'A shop' });
    expect(changed).to.include({ listed: true, summary: 'A shop' });
    expect(await repos.apps.update(app!.id + 1000, { summary: 'gone' })).to.equal(undefined);
  });

  it('upserts a version: first sight creates the app, an overwrite replaces its components', async () => {
    const told: ComponentTagChange[] = [];
    const id = await repos.versions.upsert(input('1.0', content('template', ['web', 'db'])), (c) =>
      told.push(c),
    );
    const app = await repos.apps.find(ref);
    expect(app).to.include({ displayName: 'Shop' }); // the template's group_name
    const first = await repos.versions.get(app!.id, '1.0');
    expect(first).to.include({ id, state: 'draft', updateVersion: 1 });
    expect(
      (await repos.versions.componentsOf(id)).map((c) => [c.serviceKey, c.name]),
    ).to.deep.equal([
      ['db', 'DB'],
      ['web', 'WEB'],
    ]);

    const again = await repos.versions.upsert(
      input('1.0', content('bundle', ['web', 'cache']), 1_700_000_000_500),
      (c) => told.push(c),
    );
    expect(again).to.equal(id);
    const second = await repos.versions.get(app!.id, '1.0');
    expect(second).to.include({ state: 'ready', updateVersion: 2 });
    expect(second!.updatedAt).to.equal(first!.updatedAt + 1000); // moved by a second at least
    expect((await repos.versions.componentsOf(id)).map((c) => c.serviceKey)).to.deep.equal([
      'cache',
      'web',
    ]);
    expect(told[0]).to.deep.equal({ dropped: [], set: [] });
    expect(told[1]!.dropped.sort()).to.deep.equal(['db', 'web']);
    expect(told[1]!.set.map((s) => s.serviceKey)).to.deep.equal(['web', 'cache']);
    expect(
      (await repos.versions.componentKeysOf(ref)).map((k) => `${k.version}-${k.serviceKey}`).sort(),
    ).to.deep.equal(['1.0-cache', '1.0-web']);
  });

  it('applies concurrent pushes of one new app one after the other', async () => {
    const pushes = Array.from({ length: 8 }, (_, i) =>
      repos.versions.upsert(
        input('2.0', content('bundle', ['web', `part${i}`]), 1_700_000_000_000 + i),
        () => {},
      ),
    );
    const others = Array.from({ length: 4 }, (_, i) =>
      repos.versions.upsert(input(`3.${i}`, content('template', ['web'])), () => {}),
    );
    const ids = await Promise.all([...pushes, ...others]);
    expect(new Set(ids.slice(0, 8)).size).to.equal(1);
    expect(await repos.apps.refs()).to.deep.equal([ref]);
    const app = (await repos.apps.find(ref))!;
    const rows = await repos.versions.list(app.id);
    expect(rows.map((v) => v.version).sort()).to.deep.equal(['2.0', '3.0', '3.1', '3.2', '3.3']);
    expect(rows.find((v) => v.version === '2.0')!.updateVersion).to.equal(8);
    // One push's components, never a mix of two.
    const parts = (await repos.versions.componentsOf(ids[0]!)).map((c) => c.serviceKey);
    expect(parts).to.have.length(2);
    expect(parts).to.include('web');
  });

  it('keeps package rules: versions must exist and be ready, one package per name', async () => {
    await repos.versions.upsert(input('1.0', content('bundle', ['web'])), () => {});
    await repos.versions.upsert(input('2.0', content('template', ['web'])), () => {});
    const app = (await repos.apps.find(ref))!;
    const pkg = (versions: string[], name = 'free') =>
      repos.packages.create(app.id, { name, type: 'free', versions, createdAt: 5 });
    expect(await pkg(['1.0', '9.9'])).to.deep.equal({ kind: 'missing', versions: ['9.9'] });
    expect(await pkg(['2.0'])).to.deep.equal({ kind: 'unready', versions: ['2.0'] });
    expect(await repos.apps.hasPackage(app.id)).to.equal(false);
    const raced = await Promise.all([pkg(['1.0']), pkg(['1.0']), pkg(['1.0'])]);
    expect(raced.map((r) => r.kind).sort()).to.deep.equal(['created', 'exists', 'exists']);
    expect(await pkg(['1.0'], 'other')).to.have.property('kind', 'created');
    expect(await repos.apps.hasPackage(app.id)).to.equal(true);
    expect((await repos.packages.list(app.id)).map((p) => p.name)).to.deep.equal(['free', 'other']);

    expect(await repos.packages.remove(app.id, 'other')).to.equal(true);
    expect(await repos.packages.remove(app.id, 'other')).to.equal(false);
    await repos.packages.dropVersion(app.id, '1.0');
    expect(await repos.packages.list(app.id)).to.deep.equal([]);
  });

  it('removes a version only for its manifest, and tells its components', async () => {
    await repos.versions.upsert(input('1.0', content('bundle', ['web', 'db'])), () => {});
    const app = (await repos.apps.find(ref))!;
    const removed: string[][] = [];
    const now = 1_800_000_000_000;
    expect(await repos.versions.remove(ref, '1.0', digest(999), now, (k) => removed.push(k))).to.be
      .false;
    expect(await repos.versions.remove(ref, '9.9', undefined, now, (k) => removed.push(k))).to.be
      .false;
    expect(await repos.versions.remove(ref, '1.0', digest(0), now, (k) => removed.push(k))).to.be
      .true;
    expect(removed.map((k) => k.sort())).to.deep.equal([['db', 'web']]);
    expect(await repos.versions.list(app.id)).to.deep.equal([]);
    expect((await repos.apps.find(ref))!.updatedAt).to.equal(now);
    expect(
      await repos.versions.remove({ namespace: 'x', name: 'y' }, '1.0', undefined, now, () => {}),
    ).to.be.false;
  });

  it('rebuilds an app’s versions, keeping what the caller keeps and the app’s update time', async () => {
    await repos.versions.upsert(input('1.0', content('bundle', ['web'])), () => {});
    await repos.versions.upsert(input('2.0', content('bundle', ['db'], 200)), () => {});
    const app = (await repos.apps.find(ref))!;
    const before = (await repos.versions.get(app.id, '1.0'))!;
    let told: RebuiltTags | undefined;
    await repos.versions.rebuild(
      ref,
      [input('1.0', content('bundle', ['web', 'api']), 1_900_000_000_000)],
      (old) => ({ alias: `was ${old.version}`, createdAt: old.createdAt }),
      (change) => (told = change),
    );
    const rows = await repos.versions.list(app.id);
    expect(rows.map((v) => [v.version, v.alias, v.createdAt])).to.deep.equal([
      ['1.0', 'was 1.0', before.createdAt],
    ]);
    expect((await repos.apps.find(ref))!.updatedAt).to.equal(app.updatedAt);
    expect(told!.old.map((k) => `${k.version}-${k.serviceKey}`).sort()).to.deep.equal([
      '1.0-web',
      '2.0-db',
    ]);
    expect(told!.set).to.deep.equal([
      { version: '1.0', serviceKey: 'web', imageDigest: digest(100) },
      { version: '1.0', serviceKey: 'api', imageDigest: digest(101) },
    ]);
  });

  it('removes an app with everything under it, running the caller’s part', async () => {
    await repos.versions.upsert(input('1.0', content('bundle', ['web'])), () => {});
    const app = (await repos.apps.find(ref))!;
    await repos.packages.create(app.id, {
      name: 'p',
      type: 'free',
      versions: ['1.0'],
      createdAt: 1,
    });
    expect(await repos.apps.remove(app.id, () => 'done')).to.equal('done');
    expect(await repos.apps.find(ref)).to.equal(undefined);
    expect(await repos.versions.list(app.id)).to.deep.equal([]);
    expect(await repos.packages.list(app.id)).to.deep.equal([]);
    expect(await repos.apps.inNamespace('acme')).to.deep.equal([]);
  });
});
