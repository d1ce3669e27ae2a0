/**
 * Image sync run by two store processes on one database (issue 15): two ImageSync instances,
 * each with its own registry on the same database and storage root, as two processes would
 * run them. Unfinished jobs are each run once, by one of them, and a job whose owner stopped
 * heartbeating (a killed process) is taken over by the other. On SQLite one process serves the
 * database, so the suite runs on PostgreSQL.
 */
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import pino from 'pino';
import { RegistryClient } from '../../../registry/client/index.js';
import { createRegistry, type Registry, type RegistryAccess } from '../../../registry/index.js';
import { createFsDriver } from '../../../registry/storage/fs-driver.js';
import type { SyncAccessDirectory } from '../../../server/auth/access-directory.js';
import { Permissions } from '../../../server/auth/permissions.js';
import type { PgStoreDatabase } from '../../../server/db/store-database.js';
import { components } from '../../../server/db/store-schema.pg.js';
import { appRepositories } from '../../../server/store/app-repository.js';
import { ImageSync } from '../../../server/store/sync/image-sync.js';
import { OwnHosts } from '../../../server/store/sync/own-hosts.js';
import { syncJobRepository, type SyncJob } from '../../../server/store/sync/sync-job-repository.js';
import { VersionIndex } from '../../../server/store/version-index.js';
import { openPgCopy } from '../../helpers/dialects.js';
import { startFakeRegistry, type FakeRegistry } from '../../helpers/fake-registry.js';
import { postgresAvailable } from '../../helpers/postgres.js';
import { TestRegistryClient } from '../../helpers/registry-client.js';
import { seedApp } from '../../helpers/seed-rows.js';
import { buildImage, pushBuilt } from '../../registry/client/images.js';
import { pushTemplate } from '../app-pushes.js';

const openAccess: RegistryAccess = {
  check: () => Promise.resolve({ name: 'tester', anonymous: false }),
  allows: () => Promise.resolve(true),
};

/** Nobody and nothing: the sources here are other registries, so no permission is asked. */
const emptyDirectory: SyncAccessDirectory = {
  roleOf: () => undefined,
  appListed: () => undefined,
  appMirror: () => undefined,
  appOfKey: () => undefined,
  userNamed: () => undefined,
  credentialsActive: () => false,
  pullCredentialActive: () => false,
};

interface Process {
  name: string;
  registry: Registry;
  server: Server;
  sync: ImageSync;
  /** The messages it logged, as JSON lines parsed. */
  logged: { msg: string; job?: number }[];
}

const LEASE = { heartbeatMs: 100, staleMs: 400 };

async function startProcess(name: string, store: PgStoreDatabase, root: string): Promise<Process> {
  const logged: Process['logged'] = [];
  const log = pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n'))
          if (line) logged.push(JSON.parse(line) as Process['logged'][number]);
        done();
      },
    }),
  );
  const registry = createRegistry({
    database: store,
    driver: createFsDriver(join(root, 'storage')),
    stagingDir: join(root, `staging-${name}`),
    access: openAccess,
    log: pino({ level: 'silent' }),
    maxManifestBytes: 4 * 1024 * 1024,
    maxOpenUploads: 50,
    gc: { graceSeconds: 0, uploadTtlSeconds: 3600 },
  });
  const server = createServer(registry.handle).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const sync = new ImageSync({
    store,
    registry,
    versions: new VersionIndex(appRepositories(store), registry, Date.now),
    permissions: new Permissions({ anonymousPull: false, proxies: [] }, emptyDirectory),
    log,
    clock: Date.now,
    maxManifestBytes: 4 * 1024 * 1024,
    outbound: fetch,
    ownHosts: new OwnHosts(undefined, '127.0.0.1:0'),
    owner: name,
    options: { lease: LEASE, retry: { baseDelayMs: 10, maxDelayMs: 20 } },
  });
  return { name, registry, server, sync, logged };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 25));
  }
}

describe('image sync run by two processes on one PostgreSQL database', function () {
  this.timeout(60_000);
  let store: PgStoreDatabase;
  let drop: () => Promise<void>;
  let root: string;
  let upstream: FakeRegistry;
  let a: Process;
  let b: Process;
  let seeded = 0;

  before(function () {
    if (!postgresAvailable()) this.skip();
  });

  beforeEach(async () => {
    ({ store, drop } = await openPgCopy());
    root = await mkdtemp(join(tmpdir(), 'appshelf-sync-two-'));
    upstream = await startFakeRegistry();
    a = await startProcess('process-a', store, root);
    b = await startProcess('process-b', store, root);
  });

  afterEach(async () => {
    for (const p of [a, b]) {
      await p.sync.stop();
      p.server.closeAllConnections();
      p.server.close();
      await p.registry.close();
    }
    await upstream.close();
    await drop();
    await rm(root, { recursive: true, force: true });
  });

  /**
   * A draft `acme/app<n>:1.0.0` in the store (its template pushed through process A's registry)
   * whose one component is an image on the upstream; a pending job for it, as `owner` left it.
   */
  async function draftWithJob(owner: string, heartbeatAt: number): Promise<SyncJob> {
    const n = ++seeded;
    const repo = `acme/app${n}`;
    const address = a.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const template = await pushTemplate(
      new TestRegistryClient(`http://127.0.0.1:${port}`, null),
      repo,
      Buffer.from(JSON.stringify({ group_version: '1.0.0', apps: [{ service_key: 'web' }] })),
      '1.0.0',
    );
    const image = buildImage({ layerSizes: [4096, 2048] });
    await pushBuilt(new RegistryClient({ host: upstream.url }), `lib/web${n}`, image, 'v1');
    const { versionIds } = await seedApp(store, 'acme', `app${n}`, [
      { version: '1.0.0', digest: template.digest },
    ]);
    const versionId = versionIds[0]!;
    await store.db
      .insert(components)
      .values({ versionId, serviceKey: 'web', sourceRef: `${upstream.host}/lib/web${n}:v1` });
    const jobs = syncJobRepository(store, () => heartbeatAt);
    return jobs.create(
      versionId,
      [
        {
          serviceKey: 'web',
          source: `${upstream.host}/lib/web${n}:v1`,
          state: 'pending',
          bytesDone: 0,
          bytesTotal: 0,
        },
      ],
      owner,
    );
  }

  const jobs = () => syncJobRepository(store, Date.now);
  const done = (id: number) => async () => {
    const job = await jobs().get(id);
    return job && (job.state === 'done' || job.state === 'failed') ? job : undefined;
  };
  const said = (p: Process, msg: string, job: number) =>
    p.logged.filter((l) => l.msg === msg && l.job === job).length;

  it('runs each job a dead process left once, in one of the two', async () => {
    const left = [];
    for (let i = 0; i < 4; i++) left.push(await draftWithJob('process-gone', 0));
    await Promise.all([a.sync.resume(), b.sync.resume()]);
    for (const job of left) {
      const end = await until(`job ${job.id}`, done(job.id));
      expect(end.state, JSON.stringify(end.error)).to.equal('done');
      expect(end.owner).to.be.oneOf(['process-a', 'process-b']);
      expect(said(a, 'version published', job.id) + said(b, 'version published', job.id)).to.equal(
        1,
      );
      expect(said(a, 'component copied', job.id) + said(b, 'component copied', job.id)).to.equal(1);
    }
  });

  it('takes over a job whose owner stopped heartbeating, and leaves a live owner its job', async () => {
    await Promise.all([a.sync.resume(), b.sync.resume()]);
    // Owned by a process that was killed just now: fresh at first, stale after `staleMs`.
    const orphan = await draftWithJob('process-killed', Date.now());
    const end = await until(`job ${orphan.id}`, done(orphan.id));
    expect(end.state, JSON.stringify(end.error)).to.equal('done');
    expect(end.owner).to.be.oneOf(['process-a', 'process-b']);
    expect(end.heartbeatAt! - orphan.heartbeatAt!).to.be.at.least(LEASE.staleMs);
    const taker = end.owner === 'process-a' ? a : b;
    expect(said(taker, 'sync job taken over', orphan.id)).to.equal(1);

    // A job held up upstream for longer than a lease: its owner keeps beating, so it stays.
    let release: () => void = () => {};
    const held = new Promise<void>((go) => (release = go));
    let caught = false;
    upstream.intercept = (_req, res, request) => {
      if (request.method !== 'GET' || !request.path.includes('/blobs/sha256:')) return false;
      upstream.intercept = undefined;
      caught = true;
      void held.then(() => res.destroy());
      return true;
    };
    const slow = await draftWithJob('process-gone', 0);
    const owner = await until('a claim', async () => {
      const now = (await jobs().get(slow.id))?.owner;
      return now === 'process-gone' ? undefined : (now ?? undefined);
    });
    const started = Date.now();
    await until('three leases', async () =>
      Date.now() - started > 3 * LEASE.staleMs ? true : undefined,
    );
    expect(caught, 'the copy was held upstream').to.equal(true);
    expect((await jobs().get(slow.id))?.owner).to.equal(owner);
    expect(owner).to.be.oneOf(['process-a', 'process-b']);
    const other = owner === 'process-a' ? b : a;
    expect(said(other, 'sync job taken over', slow.id)).to.equal(0);
    release();
    const after = await until(`job ${slow.id}`, done(slow.id));
    expect(after.state, JSON.stringify(after.error)).to.equal('done');
  });
});
