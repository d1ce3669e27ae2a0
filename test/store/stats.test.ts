/**
 * App statistics on both engines: pulls buffered then added, visits once per visitor a day,
 * installs, totals, zero-filled series, the pruning of old visitors, and several processes
 * (AppStats over separate pools of one database) adding to the same day's row.
 */
import { expect } from 'chai';
import pino from 'pino';
import type { RegistryEvent } from '../../registry/index.js';
import type { Digest } from '../../schemas/oci.js';
import { openPgStore, type StoreDatabase } from '../../server/db/store-database.js';
import { AppStats } from '../../server/store/stats.js';
import { statsRepository } from '../../server/store/stats-repository.js';
import { describeDialects } from '../helpers/dialects.js';
import { lastUsedAt, seedApp } from '../helpers/seed-rows.js';

const log = pino({ level: 'silent' });
const DAY = 86_400_000;
const T0 = Date.parse('2026-03-10T12:00:00Z');
const D1 = 'sha256:' + '1'.repeat(64);
const D2 = 'sha256:' + '2'.repeat(64);

function pulled(repository: string, digest: string): RegistryEvent {
  return { type: 'manifest.pulled', repository, digest: digest as Digest, tag: 'v1', actor: 'x' };
}

describeDialects('app statistics', ({ dialect, open }) => {
  let store: StoreDatabase;
  let now: number;
  let stats: AppStats;
  let app: { appId: number; versionIds: number[] };

  beforeEach(async () => {
    store = await open();
    now = T0;
    stats = new AppStats({ store, clock: () => now, log });
    app = await seedApp(store, 'acme', 'web', [
      { version: 'v1', digest: D1 },
      { version: 'v2', digest: D2 },
    ]);
  });

  it('adds buffered pulls of versions, marks them used, and drops pulls of other manifests', async () => {
    for (let i = 0; i < 3; i++) stats.onEvent(pulled('acme/web', D1));
    stats.onEvent(pulled('acme/web', 'sha256:' + '9'.repeat(64)));
    stats.onEvent(pulled('acme/other', D1));
    expect((await stats.totals([app.appId])).get(app.appId)).to.deep.equal({
      visits: 0,
      installs: 0,
      pulls: 3,
    });
    expect(await lastUsedAt(store, app.versionIds[0]!)).to.equal(T0);
    expect(await lastUsedAt(store, app.versionIds[1]!)).to.equal(null);
    stats.onEvent(pulled('acme/web', D1));
    await stats.flush();
    expect((await stats.totals([app.appId])).get(app.appId)!.pulls).to.equal(4);
  });

  it('counts a visitor once a day and forgets yesterday’s visitors', async () => {
    expect(await stats.visit(app.appId, 'user:1')).to.equal(true);
    expect(await stats.visit(app.appId, 'user:1')).to.equal(false);
    expect(await stats.visit(app.appId, 'user:2')).to.equal(true);
    now += DAY;
    expect(await stats.visit(app.appId, 'user:1')).to.equal(true);
    const series = await stats.series(app.appId, 3);
    expect(series.map((d) => [d.day, d.visits])).to.deep.equal([
      ['2026-03-09', 0],
      ['2026-03-10', 2],
      ['2026-03-11', 1],
    ]);
    const visitors = await countVisitors(store);
    expect(visitors).to.equal(1); // the day before was pruned
  });

  it('counts installs and marks the installed version used', async () => {
    stats.install(app.appId, 'v2');
    stats.install(app.appId);
    const totals = await stats.totals([app.appId, 999]);
    expect(totals.get(app.appId)).to.deep.equal({ visits: 0, installs: 2, pulls: 0 });
    expect(totals.get(999)).to.deep.equal({ visits: 0, installs: 0, pulls: 0 });
    expect(await lastUsedAt(store, app.versionIds[1]!)).to.equal(T0);
    expect(await stats.totals([])).to.deep.equal(new Map());
  });

  it('adds the counts of several writers of one day’s row', async () => {
    const repo = statsRepository(store);
    const pulls = { day: '2026-03-10', namespace: 'acme', name: 'web', digest: D1, count: 1 };
    const other = dialect === 'postgres' ? await openPgStore(urlOf(store)) : store;
    try {
      const second = statsRepository(other);
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          i % 2 ? repo.addPulls([pulls], T0) : second.addPulls([pulls], T0),
        ).concat(
          Array.from({ length: 10 }, (_, i) =>
            (i % 2 ? repo : second).install(app.appId, '2026-03-10', undefined, T0),
          ),
        ),
      );
      expect((await repo.totals([app.appId])).get(app.appId)).to.deep.equal({
        visits: 0,
        installs: 10,
        pulls: 20,
      });
      const fresh = await Promise.all(
        [repo, second, repo, second].map((r) => r.visit(app.appId, '2026-03-10', 'anon:x')),
      );
      expect(fresh.filter(Boolean)).to.have.length(1);
      expect((await repo.totals([app.appId])).get(app.appId)!.visits).to.equal(1);
    } finally {
      if (other !== store) await other.close();
    }
  });
});

async function countVisitors(store: StoreDatabase): Promise<number> {
  if (store.dialect === 'sqlite')
    return (store.sqlite.prepare('SELECT count(*) AS n FROM app_visitors').get() as { n: number })
      .n;
  const { rows } = await store.pool.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM app_visitors',
  );
  return rows[0]!.n;
}

/** The connection string of a PostgreSQL store: a second pool on it is a second process. */
function urlOf(store: StoreDatabase): string {
  if (store.dialect !== 'postgres') throw new Error('not PostgreSQL');
  const { connectionString } = store.pool.options as { connectionString?: string };
  return connectionString!;
}
