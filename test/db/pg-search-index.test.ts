/**
 * PostgreSQL's search tables follow the tables they mirror, as SQLite's triggers make them do
 * (server/db/migrations-pg/0001_search.sql beside server/db/migrations/0002_search.sql).
 */
import { expect } from 'chai';
import {
  applyPgMigrations,
  postgresAvailable,
  startPostgres,
  type PostgresServer,
} from '../helpers/postgres.js';

describe('PostgreSQL search index', function () {
  this.timeout(90_000);
  let pg: PostgresServer | undefined;
  const q = async (sql: string): Promise<string> => (await pg!.psql(sql)).stdout.trim();

  before(async function () {
    if (!postgresAvailable()) this.skip();
    pg = await startPostgres();
    await applyPgMigrations(pg);
    await pg.psql(`
      INSERT INTO users (name, display_name, created_at) VALUES ('acme', 'Acme Corp', 1);
      INSERT INTO apps (app_key, namespace, name, display_name, summary, introduction, tags, categories, listed, created_at, updated_at)
        VALUES ('k1', 'acme', 'pg-cluster', 'Café Postgres', 'A database cluster', 'Runs on my-host.example',
          '["Database","database","HA"]', '["Storage"]', true, 1, 2);
      INSERT INTO apps (app_key, namespace, name, tags, categories, created_at, updated_at)
        VALUES ('k2', 'acme', 'broken-tags', 'not json', '{"a":"Web"}', 1, 2);`);
  });

  after(async () => {
    await pg?.stop();
  });

  it('indexes an app as FTS5 does: weighted columns, diacritics folded, punctuation splits', async () => {
    const match = (query: string) =>
      q(`SELECT string_agg(a.name, ',' ORDER BY a.name) FROM search_fts f JOIN apps a ON a.id = f.app_id
         WHERE f.document @@ to_tsquery('appshelf_search', '${query}')`);
    expect(await match('cafe')).to.equal('pg-cluster'); // display name, diacritics folded
    expect(await match('cluster:A')).to.equal('pg-cluster'); // a word of the name, name only
    expect(await match('cluster:B')).to.equal(''); // not in the display name
    expect(await match('postg:*B')).to.equal('pg-cluster'); // a prefix, display name only
    expect(await match('example')).to.equal('pg-cluster'); // host names are cut into words
    expect(await match('corp')).to.equal('broken-tags,pg-cluster'); // the publisher's name
    expect(await match('storage & ha')).to.equal('pg-cluster'); // tags and categories
    expect(await match('web')).to.equal('broken-tags'); // an object's values, as json_each
  });

  it('keeps tags case-insensitively unique and the shelf in step with packages', async () => {
    expect(
      await q(`SELECT string_agg(kind || ':' || value, ',' ORDER BY kind, value COLLATE "C")
               FROM search_tags t JOIN apps a ON a.id = t.app_id WHERE a.name = 'pg-cluster'`),
    ).to.equal('category:Storage,tag:Database,tag:HA');
    const shelf = () =>
      q(
        `SELECT d.shelf FROM search_docs d JOIN apps a ON a.id = d.app_id WHERE a.name = 'pg-cluster'`,
      );
    expect(await shelf()).to.equal('f');
    await q(`INSERT INTO packages (app_id, name, versions, created_at)
             SELECT id, 'free', '[]', 1 FROM apps WHERE name = 'pg-cluster'`);
    expect(await shelf()).to.equal('t');
    await q(`INSERT INTO versions (app_id, version, state, manifest_digest, template_digest, template, arch, created_at, updated_at)
             SELECT id, '1.0', 'ready', 'sha256:a', 'sha256:b', '{}', 'arm64', 1, 1 FROM apps WHERE name = 'pg-cluster'`);
    expect(
      await q(`SELECT count(*) FROM search_tags WHERE kind = 'arch' AND value = 'ARM64'`),
    ).to.equal('1');
    await q(`DELETE FROM packages`);
    expect(await shelf()).to.equal('f');
  });

  it('follows renames of the publisher, statistics and deletes', async () => {
    const before = await q('SELECT version, text_version FROM search_meta');
    await q(`UPDATE users SET display_name = 'Zeta Labs' WHERE name = 'acme'`);
    expect(
      await q(
        `SELECT count(*) FROM search_fts WHERE document @@ to_tsquery('appshelf_search', 'zeta')`,
      ),
    ).to.equal('2');
    await q(
      `INSERT INTO app_stats_daily (app_id, day, installs) SELECT id, '2026-01-01', 5 FROM apps WHERE name = 'pg-cluster'`,
    );
    await q(`UPDATE app_stats_daily SET installs = 7`);
    expect(await q(`SELECT sum(installs) FROM search_docs`)).to.equal('7');
    await q(`DELETE FROM apps WHERE name = 'broken-tags'`);
    expect(await q(`SELECT count(*) FROM search_fts`)).to.equal('1');
    expect(await q(`SELECT count(*) FROM search_docs`)).to.equal('1');
    const after = await q('SELECT version, text_version FROM search_meta');
    const [v0, t0] = before.split('|').map(Number);
    const [v1, t1] = after.split('|').map(Number);
    expect(v1).to.be.greaterThan(v0!);
    expect(t1).to.be.greaterThan(t0!);
  });

  it('ranks with ts_rank_cd by the column weights: a name hit above an introduction hit', async () => {
    await q(`INSERT INTO apps (app_key, namespace, name, introduction, created_at, updated_at)
             VALUES ('k3', 'acme', 'other', 'works well with a cluster', 1, 2)`);
    expect(
      await q(`SELECT string_agg(a.name, ',' ORDER BY ts_rank_cd('{0.1, 0.3, 0.6, 1.0}', f.document, query) DESC)
               FROM search_fts f JOIN apps a ON a.id = f.app_id, to_tsquery('appshelf_search', 'cluster') query
               WHERE f.document @@ query`),
    ).to.equal('pg-cluster,other');
  });
});
