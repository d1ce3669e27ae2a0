/**
 * `appshelf migrate` (issue 15): a store built on SQLite + fs the way users build one (pushes
 * through /v2, a phone login, an access key, a listed app, a logo, a webhook, statistics) is
 * stopped, moved by the real command to PostgreSQL + S3 (a PostgreSQL server and an s3rver of
 * this suite's own), then started on the target config (with a server.secretKey, as several
 * processes need) and checked from the outside: the same
 * apps, digests, credentials and session; new rows get ids of their own. A second run refuses
 * the filled target; an unreachable target fails without printing its password; the storage
 * alone moves too (SQLite stays), and a corrupt blob stops that copy.
 */
import { expect } from 'chai';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { stringify } from 'yaml';
import { appClosure, RegistryClient } from '../../registry/client/index.js';
import { api, loginWithPhone } from '../helpers/accounts.js';
import { pushAppVersion } from '../helpers/app-version.js';
import { postgresAvailable, startPostgres, type PostgresServer } from '../helpers/postgres.js';
import { s3Storage, startS3rver, type S3Server } from '../helpers/s3rver.js';
import {
  ADMIN_KEY,
  LOOPBACK_REGISTRIES,
  startTestServer,
  type TestServer,
} from '../helpers/server.js';
import { shelvedApp } from '../helpers/shelved-app.js';
import { TestRegistryClient } from '../helpers/registry-client.js';
import { pushApp } from '../web/push-app.js';
import { cliIn } from '../cli/run-cli.js';

const LOGO = Buffer.from(
  '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8"/></svg>',
);
const HOOK_URL = 'http://127.0.0.1:9/appshelf-hook';
/** The target is ready for several processes: its keys derive from one secret. */
const SECRET_KEY = 'a-secret-key-of-forty-characters-0123456';

/** What a client sees of a store: closures by digest, the shelf, credentials. */
interface Seen {
  closure: string[];
  search: string[];
  me: string;
  keys: number[];
  hooks: { id: number; url: string }[];
  logo: string;
}

describe('appshelf migrate: SQLite + fs → PostgreSQL + S3', function () {
  this.timeout(240_000);
  let pg: PostgresServer;
  let s3: S3Server;
  let dir: string;
  let data: string;
  let olgaSession = '';
  let olgaKey = '';
  let seenBefore: Seen;
  /** The source store's host: the templates name it for the plugin images, on the target too. */
  let sourceHost = '';
  let auditRows = { n: 0, top: 0 };
  let totalsBefore: unknown;
  /** An app's totals of visits, installs and pulls (what the search index's popularity reads). */
  const totals = async (srv: TestServer): Promise<unknown> =>
    (await api<{ totals: unknown }>(srv, 'GET', '/api/v1/apps/olga/shop/stats?days=30')).body
      .totals;
  const cli = cliIn(() => dir);
  const sourceConfig = (): string => join(dir, 'source.yml');
  const targetConfig = (): string => join(dir, 'target.yml');
  const targetStorage = () => s3Storage(s3, 'moved/');

  const client = (srv: TestServer) =>
    new RegistryClient({ host: srv.url, credentials: { username: 'admin', password: ADMIN_KEY } });

  /** Everything the checks compare, read through /v2 and the store API. */
  const look = async (srv: TestServer): Promise<Seen> => {
    const closure = [];
    for (const [repository, version] of [
      ['admin/wordpress', '1.0.0'],
      ['olga/shop', '1.0.0'],
    ] as const)
      closure.push(
        ...(
          await appClosure(client(srv), repository, version, { ownHosts: [sourceHost] })
        ).items.map((i) => `${i.repository}@${i.digest}`),
      );
    const search = await api<{ items: { namespace: string; name: string }[] }>(
      srv,
      'GET',
      '/api/v1/search?q=shop',
    );
    const me = await api<{ name: string }>(srv, 'GET', '/api/v1/users/me', { bearer: olgaKey });
    const cookie = await api<{ name: string }>(srv, 'GET', '/api/v1/users/me', {
      session: olgaSession,
    });
    expect(cookie.status, cookie.text).to.equal(200);
    expect(cookie.body.name).to.equal(me.body.name);
    const keys = await api<{ keys: { id: number }[] }>(srv, 'GET', '/api/v1/keys', {
      session: olgaSession,
    });
    const hooks = await api<{ webhooks: { id: number; url: string }[] }>(
      srv,
      'GET',
      '/api/v1/namespaces/admin/webhooks',
      { bearer: ADMIN_KEY },
    );
    const logo = await fetch(`${srv.url}/api/v1/apps/admin/wordpress/logo`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    expect(logo.status).to.equal(200);
    return {
      closure: closure.sort(),
      search: search.body.items.map((i) => `${i.namespace}/${i.name}`),
      me: me.body.name,
      keys: keys.body.keys.map((k) => k.id).sort(),
      hooks: hooks.body.webhooks.map(({ id, url }) => ({ id, url })),
      logo: Buffer.from(await logo.arrayBuffer()).toString('base64'),
    };
  };

  before(async function () {
    if (!postgresAvailable()) this.skip();
    [pg, s3] = await Promise.all([startPostgres(), startS3rver()]);
    dir = await mkdtemp(join(tmpdir(), 'appshelf-migrate-'));
    data = join(dir, 'data');
    // The embedded defaults, whatever the run's APPSHELF_TEST_* ask for.
    const source = await startTestServer(
      { storage: { driver: 'fs' }, database: {}, webhooks: { allowHosts: LOOPBACK_REGISTRIES } },
      { data },
    );
    sourceHost = source.host;
    try {
      await pushAppVersion(client(source), {
        repository: 'admin/wordpress',
        version: '1.0.0',
        pluginRepository: 'admin/perf-analyze',
        host: source.host,
      });
      const logo = await fetch(`${source.url}/api/v1/apps/admin/wordpress/logo`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'image/svg+xml' },
        body: LOGO,
      });
      expect(logo.status).to.equal(200);
      olgaSession = await shelvedApp(source, { phone: '+4915112347001', user: 'olga' }, 'shop');
      const key = await api<{ key: string }>(source, 'POST', '/api/v1/keys', {
        bearer: olgaSession,
        body: { name: 'ci', scopes: ['read'] },
      });
      expect(key.status, key.text).to.equal(201);
      olgaKey = key.body.key;
      const hook = await api(source, 'POST', '/api/v1/namespaces/admin/webhooks', {
        bearer: ADMIN_KEY,
        body: { url: HOOK_URL, events: ['push'], secret: 'a-webhook-secret-of-sixteen+' },
      });
      expect(hook.status, hook.text).to.equal(201);
      // A visit and pulls: statistics rows, and totals the search index must carry over.
      await fetch(`${source.url}/apps/olga/shop`);
      seenBefore = await look(source);
      totalsBefore = await totals(source);
      expect(totalsBefore).to.have.property('pulls').above(0);
      expect(seenBefore.search).to.deep.equal(['olga/shop']);
      expect(seenBefore.hooks).to.have.length(1);
    } finally {
      await source.close();
    }
    // An old store's long audit log: more rows than one INSERT takes.
    const db = new Database(join(data, 'appshelf.db'));
    const add = db.prepare(
      `INSERT INTO audit (at, actor, action, target, address, detail) VALUES (?, 'admin', 'app.updated', 'admin/wordpress', '', '{}')`,
    );
    db.transaction(() => {
      for (let i = 0; i < 1_234; i++) add.run(1_700_000_000_000 + i);
    })();
    auditRows = db
      .prepare('SELECT count(*) AS n, max(id) AS top FROM audit')
      .get() as typeof auditRows;
    db.close();
    await writeFile(sourceConfig(), stringify({ data, storage: { driver: 'fs' } }));
    await writeFile(
      targetConfig(),
      stringify({
        data,
        server: { secretKey: SECRET_KEY },
        database: { url: pg.url },
        storage: targetStorage(),
      }),
    );
  });

  after(async () => {
    await Promise.all([pg?.stop(), s3?.close()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('copies every row and object; the store starts on the target with the same apps, keys and sessions', async () => {
    const run = await cli.run(['migrate', '-c', sourceConfig(), '--to', targetConfig()]);
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stderr).to.match(/^database: SQLite .* → PostgreSQL postgres:\/\//m);
    expect(run.stderr).to.match(/^rows: users [1-9]\d*$/m);
    expect(run.stderr).to.match(/^rows: manifests [1-9]\d*$/m);
    expect(run.stderr).to.match(new RegExp(`^rows: audit ${auditRows.n}$`, 'm'));
    expect(run.stderr).to.match(/^storage: [1-9]\d* objects copied \(/m);
    expect(run.stdout).to.match(/^migrated: \d+ rows in \d+ tables; \d+ objects copied/m);
    expect(run.stdout).to.match(
      /^keys: the target sets server\.secretKey: .*webhook-secrets.*keep them/m,
    );

    const target = await startTestServer(
      { server: { secretKey: SECRET_KEY }, database: { url: pg.url }, storage: targetStorage() },
      { data },
    );
    try {
      expect(await totals(target)).to.deep.equal(totalsBefore);
      const after = await look(target);
      expect(after).to.deep.equal(seenBefore);
      // The secrets of keys/ opened the copied webhook secret, now sealed under the secretKey.
      expect(target.logs.some((l) => l.includes('hook secrets sealed again'))).to.equal(true);
      // The data migrations' record came along: none ran again.
      expect(target.logs.filter((l) => l.includes('data migration applied'))).to.deep.equal([]);
      const audit = await pg.psql(
        'SELECT count(*), max(id) FROM audit WHERE id <= ' + auditRows.top,
      );
      expect(audit.stdout.trim()).to.equal(`${auditRows.n}|${auditRows.top}`);
      // Every blob of both apps pulls from S3 with its digest (pullBlob hashes what it reads).
      const reg = new TestRegistryClient(target.url);
      for (const item of seenBefore.closure) {
        const [repository, digest] = item.split('@') as [string, string];
        const manifest = await reg.request('GET', `/v2/${repository}/manifests/${digest}`, {
          headers: { accept: '*/*' },
        });
        if (manifest.status === 200) continue;
        const blob = await reg.pullBlob(repository, digest);
        expect([blob.status, blob.digest]).to.deep.equal([200, digest]);
      }

      // New rows take ids after the copied ones: no sequence hands out a copied id again.
      const key = await api<{ id: number }>(target, 'POST', '/api/v1/keys', {
        bearer: olgaSession,
        body: { name: 'after', scopes: ['read'] },
      });
      expect(key.status, key.text).to.equal(201);
      expect(key.body.id).to.equal(Math.max(...seenBefore.keys) + 1);
      await pushApp(new TestRegistryClient(target.url), 'admin/after-move', '1.0.0');
      const app = await api<{ name: string }>(target, 'GET', '/api/v1/apps/admin/after-move', {
        bearer: ADMIN_KEY,
      });
      expect(app.status, app.text).to.equal(200);
      const newcomer = await loginWithPhone(target, '+4915112347002', 'newcomer');
      expect(newcomer.status).to.equal(201);
    } finally {
      await target.close();
    }
  });

  it('refuses a second run: the target database is not empty', async () => {
    const run = await cli.run(['migrate', '-c', sourceConfig(), '--to', targetConfig()]);
    expect(run.code).to.equal(1);
    expect(run.stderr).to.match(/appshelf: the target database is not empty \(rows in .*users/);
  });

  it('fails on an unreachable database or bucket with the reason, exit code 1 and no secret', async () => {
    const unreachable = join(dir, 'unreachable.yml');
    await writeFile(
      unreachable,
      stringify({
        data,
        database: { url: 'postgres://appshelf:s3cret-Pass@127.0.0.1:1/appshelf' },
      }),
    );
    const run = await cli.run(['migrate', '-c', sourceConfig(), '--to', unreachable]);
    expect(run.code).to.equal(1);
    expect(run.stderr).to.match(
      /target's database\.url: PostgreSQL is not usable \(host 127\.0\.0\.1, port 1, database appshelf, user appshelf\): .*ECONNREFUSED/,
    );
    expect(run.stdout + run.stderr).not.to.include('s3cret-Pass');

    const noS3 = join(dir, 'no-s3.yml');
    const storage = {
      ...targetStorage(),
      s3: { ...targetStorage().s3, endpoint: 'http://127.0.0.1:1' },
    };
    await writeFile(noS3, stringify({ data, storage }));
    const s3Run = await cli.run(['migrate', '-c', sourceConfig(), '--to', noS3]);
    expect(s3Run.code).to.equal(1);
    expect(s3Run.stderr).to.match(/appshelf: s3: .*ECONNREFUSED.*a second run goes on/);
    expect(s3Run.stdout + s3Run.stderr).not.to.include(storage.s3.secretAccessKey);
  });

  it("refuses a target that drops the source's server.secretKey (what is sealed under it would not open)", async () => {
    const sealed = join(dir, 'sealed.yml');
    await writeFile(sealed, stringify({ data, server: { secretKey: 'k'.repeat(40) } }));
    const run = await cli.run(['migrate', '-c', sealed, '--to', targetConfig()]);
    expect(run.code).to.equal(1);
    expect(run.stderr).to.match(
      /appshelf: the target config must keep the source's server\.secretKey/,
    );
  });

  it('moves the storage alone (SQLite stays), continues a run cut short, and stops at a corrupt blob', async () => {
    const alone = join(dir, 'alone');
    const source = await startTestServer(
      { storage: { driver: 'fs' }, database: {} },
      { data: alone },
    );
    let digests: string[];
    try {
      await pushApp(new TestRegistryClient(source.url), 'admin/solo', '1.0.0');
      digests = (
        await appClosure(client(source), 'admin/solo', '1.0.0', { ownHosts: [source.host] })
      ).items.map((i) => i.digest);
    } finally {
      await source.close();
    }
    const from = join(dir, 'alone.yml');
    const to = join(dir, 'alone-s3.yml');
    await writeFile(from, stringify({ data: alone }));
    await writeFile(to, stringify({ data: alone, storage: s3Storage(s3, 'alone/') }));

    // A blob whose bytes no longer match its key: the copy stops there, and S3 never holds it.
    const blobs = join(alone, 'storage', 'blobs', 'sha256');
    const [folder] = await readdir(blobs);
    const [name] = await readdir(join(blobs, folder!));
    const corrupt = join(blobs, folder!, name!);
    const good = await readFile(corrupt);
    await writeFile(corrupt, Buffer.concat([good, Buffer.from('!')]));
    const failed = await cli.run(['migrate', '-c', from, '--to', to]);
    expect(failed.code).to.equal(1);
    expect(failed.stderr).to.include(`blob sha256:${name}`);
    await writeFile(corrupt, good);

    const run = await cli.run(['migrate', '-c', from, '--to', to]);
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stderr).to.match(/^database: stays \(SQLite /m);
    expect(run.stdout).to.match(/objects copied/);
    const again = await cli.run(['migrate', '-c', from, '--to', to]);
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stdout).to.match(/ 0 objects copied \(0 B\), [1-9]\d* already there/);

    const target = await startTestServer(
      { database: {}, storage: s3Storage(s3, 'alone/') },
      { data: alone },
    );
    try {
      const reg = new TestRegistryClient(target.url);
      const closure = (
        await appClosure(client(target), 'admin/solo', '1.0.0', { ownHosts: [target.host] })
      ).items.map((i) => i.digest);
      expect(closure).to.deep.equal(digests);
      const blob = await reg.pullBlob('admin/solo', `sha256:${name}`);
      expect([blob.status, blob.digest]).to.deep.equal([200, `sha256:${name}`]);
    } finally {
      await target.close();
    }
  });
});
