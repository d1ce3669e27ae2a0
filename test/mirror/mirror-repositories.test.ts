/**
 * The mirror's repositories on both engines (docs/decisions/0003): run state, a run claimed once,
 * interrupted runs closed at start, per-app rows, and the mirrored app rows (mark, release,
 * version marks, listing). On PostgreSQL, two processes (two pools on one database): a run is
 * held by one at a time, a start-up leaves the other's live run alone, and a run whose holder is
 * gone (its connection killed) is closed and can be claimed again.
 */
import { expect } from 'chai';
import { openPgStore, type StoreDatabase } from '../../server/db/store-database.js';
import { mirroredAppRepository } from '../../server/mirror/mirrored-app-repository.js';
import { mirrorStateRepository } from '../../server/mirror/mirror-state-repository.js';
import { appRepositories } from '../../server/store/app-repository.js';
import { describeDialects } from '../helpers/dialects.js';
import { seedApp } from '../helpers/seed-rows.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const INTERRUPTED = 'interrupted';

describeDialects('mirror repositories', ({ dialect, open }) => {
  let store: StoreDatabase;
  beforeEach(async () => {
    store = await open();
  });

  it('claims a run once until it finishes, and records how it ended', async () => {
    const state = mirrorStateRepository(store);
    const run = await state.claim('public', 10);
    expect(run).not.to.equal(undefined);
    expect(await state.upstream('public')).to.deep.include({ state: 'running', startedAt: 10 });
    expect(await state.claim('public', 11), 'held').to.equal(undefined);
    const other = await state.claim('other', 11);
    expect(other, 'another upstream').not.to.equal(undefined);
    await other!.finish(12, null);
    await run!.finish(20, 'acme/x 1.0.0: boom');
    expect(await state.upstream('public')).to.deep.equal({
      name: 'public',
      state: 'idle',
      startedAt: 10,
      finishedAt: 20,
      error: 'acme/x 1.0.0: boom',
    });
    const again = await state.claim('public', 30);
    expect(again).not.to.equal(undefined);
    await again!.finish(31, null);
    expect(await state.upstream('public')).to.deep.include({ startedAt: 30, error: null });
  });

  if (dialect === 'sqlite')
    it('closes a run a stop left running', async () => {
      const state = mirrorStateRepository(store);
      await state.claim('public', 10); // never finished: the process stopped
      expect(await state.closeInterrupted(50, INTERRUPTED)).to.deep.equal(['public']);
      expect(await state.upstream('public')).to.deep.include({
        state: 'idle',
        finishedAt: 50,
        error: INTERRUPTED,
      });
    });

  it('keeps per-app rows and forgets those of apps no longer followed', async () => {
    const state = mirrorStateRepository(store);
    await state.recordApp('public', 'acme/a', 5, null, 1);
    await state.recordApp('public', 'acme/b', 7, 'failed', 1);
    await state.recordApp('public', 'acme/a', 9, null, 2);
    await state.recordApp('other', 'acme/c', 1, null, 1);
    const byApp = (rows: { app: string }[]) => rows.map((r) => r.app).sort();
    expect(await state.appRuns('public')).to.deep.include.members([
      { upstream: 'public', app: 'acme/a', bytes: 9, error: null, updatedAt: 2 },
    ]);
    await state.forget('public', ['acme/a']);
    expect(byApp(await state.appRuns('public'))).to.deep.equal(['acme/a']);
    await state.forget('public', []);
    expect(await state.appRuns('public')).to.deep.equal([]);
    expect(byApp(await state.appRuns('other'))).to.deep.equal(['acme/c']);
  });

  it('marks apps as mirrored, lists them, and releases those of upstreams gone', async () => {
    const mirrored = mirroredAppRepository(store);
    const state = mirrorStateRepository(store);
    const a = await seedApp(store, 'acme', 'a', []);
    const b = await seedApp(store, 'acme', 'b', []);
    await seedApp(store, 'acme', 'own', []);
    const row = await mirrored.markMirrored(a.appId, 'public', 'https://up.example', 5);
    expect(row).to.deep.include({ mirrorUpstream: 'public', mirrorUrl: 'https://up.example' });
    await mirrored.markMirrored(b.appId, 'old', 'https://old.example', 5);
    expect(await mirrored.markMirrored(9999, 'public', 'https://up.example', 5)).to.equal(
      undefined,
    );
    expect(await state.appsOf('public')).to.deep.equal([
      { id: a.appId, namespace: 'acme', name: 'a' },
    ]);
    expect(await mirrored.release(['public'])).to.deep.equal(['acme/b']);
    expect(await mirrored.release(['public']), 'once').to.deep.equal([]);
    expect(await mirrored.release([])).to.deep.equal(['acme/a']);
    expect(await state.appsOf('public')).to.deep.equal([]);
  });

  it('marks versions deleted upstream, clears the mark when they return, names them', async () => {
    const mirrored = mirroredAppRepository(store);
    const versions = appRepositories(store).versions;
    const { appId } = await seedApp(store, 'acme', 'a', [
      { version: '1.0.0', digest: DIGEST },
      { version: '2.0.0', digest: DIGEST },
    ]);
    const marks = async () =>
      Object.fromEntries((await versions.list(appId)).map((v) => [v.version, v.upstreamDeletedAt]));
    expect(await mirrored.reconcile(appId, ['2.0.0'], 100, false)).to.deep.equal(['1.0.0']);
    expect(await marks()).to.deep.equal({ '1.0.0': 100, '2.0.0': null });
    expect(await mirrored.reconcile(appId, ['2.0.0'], 200, false)).to.deep.equal(['1.0.0']);
    expect(await marks(), 'the first mark stays').to.deep.equal({ '1.0.0': 100, '2.0.0': null });
    expect(await mirrored.reconcile(appId, ['1.0.0', '2.0.0'], 300, false)).to.deep.equal([]);
    expect(await marks()).to.deep.equal({ '1.0.0': null, '2.0.0': null });
    expect(await mirrored.reconcile(appId, [], 400, true), 'pruned: not marked').to.have.members([
      '1.0.0',
      '2.0.0',
    ]);
    expect(await marks()).to.deep.equal({ '1.0.0': null, '2.0.0': null });
  });

  it('writes a listing with its packages, dropping the packages no longer wanted', async () => {
    const mirrored = mirroredAppRepository(store);
    const apps = appRepositories(store).apps;
    const { appId } = await seedApp(store, 'acme', 'a', [{ version: '1.0.0', digest: DIGEST }]);
    expect(await mirrored.readyVersions(appId), 'a draft is not ready').to.deep.equal([]);
    const fields = {
      displayName: 'A',
      summary: 's',
      introduction: 'i',
      tags: '["x"]',
      categories: '[]',
      sourceUrl: '',
      homeUrl: '',
      publishType: 'public',
      listed: true,
      logoKey: null,
      logoType: null,
    } as const;
    await mirrored.writeListing(
      appId,
      fields,
      [
        { name: 'main', type: 'free', versions: ['1.0.0'] },
        { name: 'extra', type: 'free', versions: ['1.0.0'] },
      ],
      7,
    );
    expect(await apps.find({ namespace: 'acme', name: 'a' })).to.deep.include({
      ...fields,
      updatedAt: 7,
    });
    await mirrored.writeListing(appId, fields, [{ name: 'main', type: 'free', versions: [] }], 8);
    const packages = await mirrored.packagesOf(appId);
    expect(packages.map((p) => [p.name, p.versions])).to.deep.equal([['main', '[]']]);
    expect(await mirrored.adminId()).to.equal(undefined);
  });

  if (dialect === 'postgres')
    describe('two processes on one database', () => {
      let other: StoreDatabase;
      beforeEach(async () => {
        if (store.dialect !== 'postgres') throw new Error('postgres only');
        const url = (store.pool.options as { connectionString?: string }).connectionString!;
        other = await openPgStore(url);
      });
      afterEach(async () => {
        await other.close();
      });

      it('a run is held by one process; the other neither takes it nor closes it', async () => {
        const a = mirrorStateRepository(store);
        const b = mirrorStateRepository(other);
        const claims = await Promise.all([a.claim('public', 10), b.claim('public', 10)]);
        expect(
          claims.filter((c) => c !== undefined),
          'taken once',
        ).to.have.length(1);
        const [held] = claims.filter((c) => c !== undefined);
        // Each process starting up: the live run is left running.
        expect(await b.closeInterrupted(20, INTERRUPTED)).to.deep.equal([]);
        expect(await a.closeInterrupted(20, INTERRUPTED)).to.deep.equal([]);
        expect(await a.upstream('public')).to.deep.include({ state: 'running' });
        await held!.finish(30, null);
        const next = await b.claim('public', 40);
        expect(next, 'free once finished').not.to.equal(undefined);
        expect(await a.claim('public', 41)).to.equal(undefined);
        await next!.finish(50, null);
      });

      it("closes a run whose holder's connection is gone, which is then free", async () => {
        const a = mirrorStateRepository(store);
        const b = mirrorStateRepository(other);
        const held = await a.claim('public', 10);
        expect(held).not.to.equal(undefined);
        // The holder dies: its backend is killed (the lock goes with its session).
        if (other.dialect !== 'postgres') throw new Error('postgres only');
        await other.pool.query(
          `SELECT pg_terminate_backend(pid) FROM pg_locks
            WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()`,
        );
        expect(await b.closeInterrupted(20, INTERRUPTED)).to.deep.equal(['public']);
        expect(await b.upstream('public')).to.deep.include({
          state: 'idle',
          finishedAt: 20,
          error: INTERRUPTED,
        });
        const taken = await b.claim('public', 30);
        expect(taken).not.to.equal(undefined);
        await taken!.finish(40, null);
        // The cut-off holder's finish, late: its connection is broken and the row is not its
        // own any more while another process holds the upstream.
        const again = await b.claim('public', 50);
        await held!.finish(45, 'late');
        expect(await b.upstream('public')).to.deep.include({ state: 'running', startedAt: 50 });
        await again!.finish(60, null);
      });
    });
});
