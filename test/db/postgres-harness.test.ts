import { expect } from 'chai';
import { existsSync, statSync } from 'node:fs';
import { postgresAvailable, startPostgres, type PostgresServer } from '../helpers/postgres.js';

describe('the PostgreSQL test harness', function () {
  this.timeout(60_000);
  let pg: PostgresServer;

  before(async function () {
    if (!postgresAvailable()) this.skip();
    pg = await startPostgres();
  });

  it('serves a fresh database at a postgres:// URL, as a superuser that is not root', async () => {
    expect(pg.url).to.match(/^postgres:\/\/appshelf@127\.0\.0\.1:\d+\/appshelf$/);
    const { stdout } = await pg.psql(
      "SELECT current_database(), current_user, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user), current_setting('data_directory')",
    );
    const [database, user, superuser, dataDir] = stdout.trim().split('|');
    expect([database, user, superuser]).to.deep.equal(['appshelf', 'appshelf', 't']);
    expect(existsSync(dataDir!)).to.equal(true);
    // PostgreSQL refuses to run as root; the cluster belongs to whoever the server runs as.
    expect(statSync(dataDir!).uid).to.not.equal(0);
  });

  it('reports SQL errors with the server message', async () => {
    const failed = await pg.psql('SELECT * FROM no_such_table').then(
      () => undefined,
      (e: Error) => e,
    );
    expect(failed?.message).to.match(/relation "no_such_table" does not exist/);
  });

  it('stops the server and deletes the cluster', async () => {
    const { stdout } = await pg.psql("SELECT current_setting('data_directory')");
    await pg.stop();
    expect(existsSync(stdout.trim())).to.equal(false);
  });
});
