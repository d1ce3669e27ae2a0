/**
 * The governance repositories on both engines: quota usage counted from the registry's rows and
 * the checks' shared figure (on PostgreSQL two pools of one database racing for the last bytes of
 * room: one gets them), immutability rules and version states, retention rules and rows, and
 * retention runs taking turns (on PostgreSQL across pools).
 */
import { expect } from 'chai';
import { sql } from 'drizzle-orm';
import { openPgStore, type StoreDatabase } from '../../server/db/store-database.js';
import { immutabilityRepository } from '../../server/governance/immutability-repository.js';
import { quotaRepository, USAGE_TTL_MS } from '../../server/governance/quota-repository.js';
import { retentionRepository } from '../../server/governance/retention-repository.js';
import { insertUser, run } from '../helpers/account-rows.js';
import { describeDialects } from '../helpers/dialects.js';
import { seedApp } from '../helpers/seed-rows.js';

const T0 = Date.parse('2026-03-10T12:00:00Z');
const digest = (c: string) => 'sha256:' + c.repeat(64);

/** A blob of `size` bytes linked into each of `repositories`. */
async function blob(store: StoreDatabase, d: string, size: number, ...repositories: string[]) {
  await run(store, sql`INSERT INTO blobs (digest, size, created_at) VALUES (${d}, ${size}, 1)`);
  for (const r of repositories)
    await run(
      store,
      sql`INSERT INTO repository_blobs (repository, digest, created_at) VALUES (${r}, ${d}, 1)`,
    );
}

async function manifest(store: StoreDatabase, repository: string, d: string, size: number) {
  const content = store.dialect === 'sqlite' ? Buffer.from('{}') : sql`'\\x7b7d'::bytea`;
  await run(
    store,
    sql`INSERT INTO manifests (repository, digest, media_type, size, content, created_at)
        VALUES (${repository}, ${d}, 'application/vnd.oci.image.manifest.v1+json', ${size}, ${content}, 1)`,
  );
}

function urlOf(store: StoreDatabase): string {
  if (store.dialect !== 'postgres') throw new Error('not PostgreSQL');
  return (store.pool.options as { connectionString?: string }).connectionString!;
}

describeDialects('governance repositories: quotas', ({ dialect, open }) => {
  let store: StoreDatabase;
  let acmeId: number;

  beforeEach(async () => {
    store = await open();
    await insertUser(store, 'acme');
    await insertUser(store, 'acme-x');
    const repo = quotaRepository(store);
    acmeId = (await repo.namespaceId('acme'))!;
  });

  it('sets, reads and clears a quota; flips the warning flag once per crossing', async () => {
    const repo = quotaRepository(store);
    expect(await repo.settingsOf('acme')).to.equal(undefined);
    await repo.setQuota(acmeId, 1000, 800, T0);
    expect(await repo.settingsOf('acme')).to.deep.equal({
      limitBytes: 1000,
      warnBytes: 800,
      warned: false,
    });
    expect(await repo.flipWarned('acme', true)).to.equal(true);
    expect(await repo.flipWarned('acme', true)).to.equal(false);
    expect((await repo.settingsOf('acme'))!.warned).to.equal(true);
    expect(await repo.withQuotas()).to.deep.equal([
      { namespace: 'acme', limitBytes: 1000, warnBytes: 800 },
    ]);
    expect((await repo.everyNamespace()).map((q) => q.namespace).sort()).to.deep.equal([
      'acme',
      'acme-x',
    ]);
    await repo.clearQuota(acmeId);
    expect(await repo.settingsOf('acme')).to.equal(undefined);
    expect(await repo.namespaceId('nobody')).to.equal(undefined);
  });

  it('counts each blob and manifest of the namespace once, and nothing of a namespace sharing its prefix', async () => {
    const repo = quotaRepository(store);
    await blob(store, digest('a'), 100, 'acme/web', 'acme/db'); // shared: once
    await blob(store, digest('b'), 50, 'acme/web');
    await blob(store, digest('c'), 7, 'acme-x/web'); // another namespace
    await manifest(store, 'acme/web', digest('d'), 10);
    await manifest(store, 'acme/db', digest('d'), 10); // the same manifest twice: once
    expect(await repo.count('acme', T0)).to.equal(160);
    expect(await repo.count('acme-x', T0)).to.equal(7);
    expect(await repo.holds('acme', 'blob', digest('a'))).to.equal(true);
    expect(await repo.holds('acme', 'blob', digest('c'))).to.equal(false);
    expect(await repo.holds('acme', 'manifest', digest('d'))).to.equal(true);
    expect(await repo.holds('acme-x', 'manifest', digest('d'))).to.equal(false);
  });

  it('lets bytes in up to the limit, adds them to the figure, and counts again before refusing', async () => {
    const repo = quotaRepository(store);
    await repo.setQuota(acmeId, 1000, 0, T0);
    await blob(store, digest('a'), 600, 'acme/web');
    expect(await repo.reserve('acme', 300, 1000, digest('b'), T0)).to.deep.equal({
      admitted: true,
      usedBytes: 600,
    });
    expect(await repo.recentUsage('acme', T0 + 1)).to.equal(900);
    await blob(store, digest('b'), 300, 'acme/web'); // the push links what it was let in with
    // Past the limit on the figure: counted again first, and refused on what is held.
    expect(await repo.reserve('acme', 150, 1000, digest('c'), T0 + 2)).to.deep.equal({
      admitted: false,
      usedBytes: 900,
    });
    // An early check of a declared size adds nothing.
    expect((await repo.reserve('acme', 50, 1000, undefined, T0 + 3)).admitted).to.equal(true);
    expect(await repo.recentUsage('acme', T0 + 4)).to.equal(900);
    expect((await repo.reserve('acme', 100, 1000, digest('d'), T0 + 5)).admitted).to.equal(true);
    expect(await repo.recentUsage('acme', T0 + 6)).to.equal(1000);
    // A stale figure is counted again, with the 100 bytes let in and not linked yet: a push
    // still placing its bytes.
    await blob(store, digest('e'), 20, 'acme/db');
    expect(await repo.recentUsage('acme', T0 + USAGE_TTL_MS + 6)).to.equal(1020);
    expect(await repo.count('acme', T0 + USAGE_TTL_MS + 7)).to.equal(920); // what is held
    await blob(store, digest('d'), 100, 'acme/web'); // linked: counted once
    expect(await repo.recentUsage('acme', T0 + 2 * USAGE_TTL_MS + 8)).to.equal(1020);
    // The same digest let in again (an upload's commit after its early check) adds nothing.
    expect((await repo.reserve('acme', 50, 2000, digest('g'), T0 + 9)).admitted).to.equal(true);
    expect((await repo.reserve('acme', 50, 2000, digest('g'), T0 + 10)).admitted).to.equal(true);
    expect(await repo.recentUsage('acme', T0 + 2 * USAGE_TTL_MS + 11)).to.equal(1070);
  });

  it('lets processes racing for the last bytes of room have exactly what fits', async function () {
    if (dialect !== 'postgres') this.skip(); // SQLite's figure is per process (quotas-sqlite.ts)
    const other = await openPgStore(urlOf(store));
    try {
      const repos = [quotaRepository(store), quotaRepository(other)];
      await repos[0]!.setQuota(acmeId, 1000, 0, T0);
      await blob(store, digest('a'), 400, 'acme/web');
      await repos[0]!.count('acme', T0);
      const pushes = [...'0123456789'].map((c, i) =>
        repos[i % 2]!.reserve('acme', 150, 1000, digest(c), T0 + 1),
      );
      const admitted = (await Promise.all(pushes)).filter((r) => r.admitted);
      expect(admitted).to.have.length(4); // 400 + 4 × 150 = 1000
      // Counting again (as a refusal does) keeps the pushes under way.
      expect(await repos[1]!.recentUsage('acme', T0 + USAGE_TTL_MS + 1)).to.equal(1000);
      expect((await repos[1]!.reserve('acme', 1, 1000, digest('f'), T0 + 2)).admitted).to.equal(
        false,
      );
    } finally {
      await other.close();
    }
  });
});

describeDialects('governance repositories: immutability', ({ open }) => {
  it('sets and reads a namespace’s rules, and reads a version’s state', async () => {
    const store = await open();
    await insertUser(store, 'acme');
    const repo = immutabilityRepository(store);
    expect(await repo.rulesOf('acme')).to.equal(undefined);
    expect(await repo.setRules('nobody', { versions: true, tagPatterns: '[]' }, T0)).to.equal(
      false,
    );
    expect(await repo.setRules('acme', { versions: true, tagPatterns: '["v*"]' }, T0)).to.equal(
      true,
    );
    await repo.setRules('acme', { versions: false, tagPatterns: '["release-*"]' }, T0 + 1);
    expect(await repo.rulesOf('acme')).to.deep.equal({
      versions: false,
      tagPatterns: '["release-*"]',
    });
    await seedApp(store, 'acme', 'web', [{ version: 'v1', digest: digest('a') }]);
    expect(await repo.versionState('acme', 'web', 'v1')).to.equal('draft');
    expect(await repo.versionState('acme', 'web', 'v2')).to.equal(undefined);
    expect(await repo.versionState('acme', 'db', 'v1')).to.equal(undefined);
  });
});

describeDialects('governance repositories: retention', ({ open }) => {
  it('keeps rules per namespace and app, and reads the apps, versions and packages a plan judges', async () => {
    const store = await open();
    const repo = retentionRepository(store);
    const rules = { keepNewest: 2, keepPulledDays: null, untaggedHours: 24 };
    await repo.setRules('acme', '', rules, T0);
    await repo.setRules('acme', 'web', { ...rules, keepNewest: 5 }, T0);
    await repo.setRules('beta', '', rules, T0);
    await repo.setRules('acme', '', { ...rules, untaggedHours: 1 }, T0 + 1);
    expect(await repo.rulesOf('acme', '')).to.deep.equal({ ...rules, untaggedHours: 1 });
    expect(await repo.rulesOf('acme', 'web')).to.deep.equal({ ...rules, keepNewest: 5 });
    expect(await repo.rulesOf('acme', 'db')).to.equal(undefined);
    expect(await repo.governedNamespaces()).to.deep.equal(['acme', 'beta']);

    const web = await seedApp(store, 'acme', 'web', [
      { version: 'v1', digest: digest('a') },
      { version: 'v2', digest: digest('b') },
    ]);
    await seedApp(store, 'acme', 'db', []);
    await run(
      store,
      sql`INSERT INTO packages (app_id, name, versions, created_at)
          VALUES (${web.appId}, 'stable', '["v1"]', 1)`,
    );
    expect((await repo.appsOf('acme')).map((a) => a.name)).to.deep.equal(['db', 'web']);
    expect(await repo.appsOf('acme', 'web')).to.deep.equal([
      { id: web.appId, namespace: 'acme', name: 'web', listed: false },
    ]);
    const versions = await repo.versionsOf(web.appId);
    expect(versions.map((v) => [v.version, v.state, v.manifestDigest]).sort()).to.deep.equal([
      ['v1', 'draft', digest('a')],
      ['v2', 'draft', digest('b')],
    ]);
    expect(await repo.packagesOf(web.appId)).to.deep.equal([
      { name: 'stable', versions: '["v1"]' },
    ]);
    expect(await repo.appExists('acme', 'web')).to.equal(true);
    expect(await repo.appExists('acme', 'nope')).to.equal(false);
  });

  it('runs one retention at a time (on PostgreSQL across processes)', async () => {
    const store = await open();
    const other = store.dialect === 'postgres' ? await openPgStore(urlOf(store)) : store;
    try {
      const repos = [retentionRepository(store), retentionRepository(other)];
      let running = 0;
      let most = 0;
      const order: string[] = [];
      const runFor = (name: string, i: number) =>
        repos[i % 2]!.exclusive(async () => {
          running += 1;
          most = Math.max(most, running);
          order.push(`${name} start`);
          await new Promise((r) => setTimeout(r, 50));
          order.push(`${name} end`);
          running -= 1;
          return name;
        });
      const done = await Promise.all(['a', 'b', 'c', 'd'].map(runFor));
      expect(done).to.deep.equal(['a', 'b', 'c', 'd']);
      expect(most).to.equal(1);
      expect(order).to.have.length(8);
      // A failed run lets the next one in.
      await repos[0]!.exclusive(() => Promise.reject(new Error('boom'))).catch(() => undefined);
      expect(await repos[1]!.exclusive(async () => 'after')).to.equal('after');
    } finally {
      if (other !== store) await other.close();
    }
  });
});
