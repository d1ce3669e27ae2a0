/**
 * Sync jobs on both engines: the read-modify-writes, and `claim`: an unfinished job is taken by
 * one claimer only while its owner's heartbeat is fresh, and taken over once it is stale (the
 * owner died). On PostgreSQL the two claimers are separate pools on one database: two processes.
 */
import { expect } from 'chai';
import { openPgStore, type StoreDatabase } from '../../../server/db/store-database.js';
import { syncJobRepository } from '../../../server/store/sync/sync-job-repository.js';
import { describeDialects } from '../../helpers/dialects.js';
import { seedApp } from '../../helpers/seed-rows.js';

const D1 = 'sha256:' + '1'.repeat(64);
const LEASE = 30_000;
const component = (serviceKey: string) => ({
  serviceKey,
  source: `docker.io/library/${serviceKey}:1`,
  state: 'pending' as const,
  bytesDone: 0,
  bytesTotal: 0,
});

describeDialects('sync job repository', ({ dialect, open }) => {
  let store: StoreDatabase;
  let now: number;
  let versionIds: number[];

  beforeEach(async () => {
    store = await open();
    now = 1_000_000;
    ({ versionIds } = await seedApp(
      store,
      'acme',
      'web',
      Array.from({ length: 6 }, (_, i) => ({ version: `v${i}`, digest: D1 })),
    ));
  });

  it('creates, updates and counts jobs, the newest per version the one kept', async () => {
    const jobs = syncJobRepository(store, () => now);
    const first = await jobs.create(versionIds[0]!, [component('a'), component('b')], 'p1');
    const job = await jobs.create(versionIds[0]!, [component('a'), component('b')], 'p1');
    expect(await jobs.get(first.id)).to.equal(undefined);
    expect(job).to.include({ state: 'pending', owner: 'p1', heartbeatAt: now });
    now += 5;
    const changed = await jobs.updateComponents(
      job.id,
      (c) => ({ ...c, state: 'done' }),
      (c) => c.serviceKey === 'b',
    );
    expect(changed!.components.map((c) => c.state)).to.deep.equal(['pending', 'done']);
    await jobs.setState(job.id, 'failed', { code: 'incomplete', message: 'x' });
    const read = await jobs.latestFor(versionIds[0]!);
    expect(read).to.deep.include({ state: 'failed', updatedAt: now });
    expect(read!.error).to.deep.equal({ code: 'incomplete', message: 'x' });
    expect(await jobs.countByState()).to.deep.equal({ pending: 0, copying: 0, done: 0, failed: 1 });
    expect(await jobs.updateComponents(999, (c) => c)).to.equal(undefined);
  });

  it('loses no component update among concurrent read-modify-writes', async () => {
    const jobs = syncJobRepository(store, () => now);
    const keys = ['a', 'b', 'c', 'd', 'e', 'f'];
    const job = await jobs.create(versionIds[0]!, keys.map(component), 'p1');
    await Promise.all(
      keys.map((k) =>
        jobs.updateComponents(
          job.id,
          (c) => ({ ...c, state: 'done' }),
          (c) => c.serviceKey === k,
        ),
      ),
    );
    const after = await jobs.get(job.id);
    expect(after!.components.every((c) => c.state === 'done')).to.equal(true);
  });

  it('hands each unfinished job to one of two claimers, fresh leases kept', async () => {
    const other = dialect === 'postgres' ? await openPgStore(urlOf(store)) : store;
    try {
      const a = syncJobRepository(store, () => now);
      const b = syncJobRepository(other, () => now);
      const created = [];
      for (const v of versionIds) created.push(await a.create(v, [component('x')], 'gone'));
      // Their creator died long ago: every job is claimable.
      now += LEASE * 2;
      const claims = await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).claim(i % 2 ? 'A' : 'B', now - LEASE)),
      );
      const taken = claims.filter((j) => j !== undefined).map((j) => j.id);
      expect(taken.sort((x, y) => x - y)).to.deep.equal(created.map((j) => j.id));
      // Fresh leases: nothing left for anyone.
      expect(await a.claim('C', now - LEASE)).to.equal(undefined);
      expect(await b.claim('C', now - LEASE)).to.equal(undefined);
    } finally {
      if (other !== store) await other.close();
    }
  });

  it('takes over a job whose owner stopped its heartbeat, and the old owner learns it', async () => {
    const jobs = syncJobRepository(store, () => now);
    const job = await jobs.create(versionIds[0]!, [component('x')], 'A');
    await jobs.setState(job.id, 'copying');
    now += LEASE / 2;
    expect(await jobs.heartbeat('A', [job.id])).to.deep.equal([job.id]);
    now += LEASE / 2 + 1;
    expect(await jobs.claim('B', now - LEASE)).to.equal(undefined); // renewed: still A's
    now += LEASE;
    const taken = await jobs.claim('B', now - LEASE);
    expect(taken).to.include({ id: job.id, owner: 'B', state: 'copying' });
    expect(await jobs.heartbeat('A', [job.id])).to.deep.equal([]);
    await jobs.setState(job.id, 'done');
    now += LEASE * 10;
    expect(await jobs.claim('C', now - LEASE)).to.equal(undefined); // finished jobs stay
    expect((await jobs.unfinished()).length).to.equal(0);
  });
});

function urlOf(store: StoreDatabase): string {
  if (store.dialect !== 'postgres') throw new Error('not PostgreSQL');
  return (store.pool.options as { connectionString?: string }).connectionString!;
}
