/**
 * A PostgreSQL URL that cannot be used stops the store's start and `appshelf migrate` with one
 * reason, from one module: where the URL pointed (host, port, database, user), never its
 * password, whether the connection is refused or the server refuses the login.
 */
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../server/config.js';
import { pgFailureReason } from '../../server/db/pg-failure.js';
import { openSqliteStore, openStoreDatabase } from '../../server/db/store-database.js';
import { migrateStore, MigrationError } from '../../server/migrate/index.js';
import { postgresAvailable, startPostgres, type PostgresServer } from '../helpers/postgres.js';

const PASSWORD = 'p@ss/word%1';
const ENCODED = encodeURIComponent(PASSWORD);

describe('pgFailureReason', () => {
  const cases: [string, string, unknown, string][] = [
    [
      'a refused connection',
      `postgres://shelf:${ENCODED}@127.0.0.1:1/store`,
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
      'PostgreSQL is not usable (host 127.0.0.1, port 1, database store, user shelf): connect ECONNREFUSED 127.0.0.1:1',
    ],
    [
      'a reason quoting the password, decoded and as sent',
      `postgres://shelf:${ENCODED}@db.internal/store`,
      new Error(`login ${PASSWORD} and ${ENCODED} refused`),
      'PostgreSQL is not usable (host db.internal, port 5432, database store, user shelf): login *** and *** refused',
    ],
    [
      "an AggregateError (each of a host's addresses refused)",
      `postgres://shelf:${ENCODED}@localhost:6/store`,
      new AggregateError([
        new Error('connect ECONNREFUSED ::1:6'),
        new Error('connect ECONNREFUSED 127.0.0.1:6'),
      ]),
      'PostgreSQL is not usable (host localhost, port 6, database store, user shelf): connect ECONNREFUSED ::1:6; connect ECONNREFUSED 127.0.0.1:6',
    ],
    [
      "no database in the URL: pg's default, the user's name",
      'postgres://shelf@db.internal:5433',
      new Error('database "shelf" does not exist'),
      'PostgreSQL is not usable (host db.internal, port 5433, database shelf, user shelf): database "shelf" does not exist',
    ],
  ];
  for (const [name, url, err, expected] of cases)
    it(name, () => {
      expect(pgFailureReason(url, err)).to.equal(expected);
    });
});

describe('a PostgreSQL URL that cannot be used, at start and in migrate', function () {
  this.timeout(60_000);
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'appshelf-pg-failure-'));
    // migrate's source: an (empty) SQLite store in the data folder.
    await openSqliteStore(dir).close();
  });
  after(() => rm(dir, { recursive: true, force: true }));

  /** The messages both callers fail with on `url`. */
  async function failures(url: string): Promise<{ start: string; migrate: string }> {
    const start = await openStoreDatabase({ url }, dir).then(
      () => expect.fail('the store opened'),
      (e: Error) => e.message,
    );
    const migrate = await migrateStore({
      source: parseConfig({ data: dir }),
      target: parseConfig({ data: dir, database: { url } }),
      progress: () => {},
    }).then(
      () => expect.fail('migrate went on'),
      (e: unknown) => {
        expect(e).to.be.instanceOf(MigrationError);
        expect((e as MigrationError).code).to.equal('unreachable');
        return (e as MigrationError).message;
      },
    );
    return { start, migrate };
  }

  function expectNamed(got: { start: string; migrate: string }, where: string, why: RegExp) {
    expect(got.start).to.match(/^database\.url: PostgreSQL is not usable \(/);
    expect(got.migrate).to.match(/^the target's database\.url: PostgreSQL is not usable \(/);
    for (const message of [got.start, got.migrate]) {
      expect(message).to.include(`(${where})`).and.match(why);
      expect(message).to.not.include(PASSWORD).and.not.include(ENCODED);
    }
  }

  it('a wrong port: the connection refused', async () => {
    const got = await failures(`postgres://shelf:${ENCODED}@127.0.0.1:1/store`);
    expectNamed(got, 'host 127.0.0.1, port 1, database store, user shelf', /ECONNREFUSED/);
  });

  describe('on a real server', () => {
    let pg: PostgresServer;
    before(async function () {
      if (!postgresAvailable()) this.skip();
      pg = await startPostgres();
    });
    after(() => pg?.stop());

    // The test cluster trusts every login (no password is checked), so the server's own refusal
    // here is of a database it does not have, and of a role it does not know.
    it('a database or a user the server refuses', async () => {
      const at = `127.0.0.1:${pg.port}`;
      expectNamed(
        await failures(`postgres://appshelf:${ENCODED}@${at}/nowhere`),
        `host 127.0.0.1, port ${pg.port}, database nowhere, user appshelf`,
        /database "nowhere" does not exist/,
      );
      expectNamed(
        await failures(`postgres://nobody:${ENCODED}@${at}/appshelf`),
        `host 127.0.0.1, port ${pg.port}, database appshelf, user nobody`,
        /role "nobody" does not exist/,
      );
    });
  });
});
