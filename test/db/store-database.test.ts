import { expect } from 'chai';
import { sql } from 'drizzle-orm';
import { openPgStore } from '../../server/db/store-database.js';
import { describeDialects } from '../helpers/dialects.js';
import { postgresAvailable, startPostgres } from '../helpers/postgres.js';

describeDialects('the store database seam', ({ dialect, open }) => {
  it('opens a migrated database that answers a ping', async () => {
    const store = await open();
    expect(store.dialect).to.equal(dialect);
    await store.ping();
    const users =
      store.dialect === 'sqlite'
        ? store.db.all<{ n: number }>(sql`SELECT count(*) AS n FROM users`)
        : (await store.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM users`)).rows;
    expect(users).to.deep.equal([{ n: 0 }]);
  });

  it('fails a ping once closed', async () => {
    const store = await open();
    await store.close();
    const failed = await store.ping().then(
      () => undefined,
      (e: Error) => e,
    );
    expect(failed).to.be.instanceOf(Error);
  });
});

describe('PostgreSQL migrations started by several processes at once', function () {
  this.timeout(60_000);

  it('are applied once, the later starters waiting on the lock', async function () {
    if (!postgresAvailable()) this.skip();
    const server = await startPostgres();
    try {
      const stores = await Promise.all([1, 2, 3].map(() => openPgStore(server.url)));
      const { stdout } = await server.psql('SELECT count(*) FROM drizzle.__drizzle_migrations');
      expect(Number(stdout.trim())).to.be.greaterThan(0);
      const { stdout: distinct } = await server.psql(
        'SELECT count(DISTINCT hash) = count(*) FROM drizzle.__drizzle_migrations',
      );
      expect(distinct.trim()).to.equal('t');
      await Promise.all(stores.map((s) => s.close()));
    } finally {
      await server.stop();
    }
  });
});
