/**
 * The two dialects have one schema: after their migrations, SQLite and PostgreSQL hold the same
 * tables with the same columns (type family, NOT NULL, default, case-insensitivity), primary
 * keys, named indexes and foreign keys. A schema change made for one dialect only fails here,
 * naming what differs; the fix is to change both schema files (schema.ts and schema.pg.ts) and
 * run `npm run db:generate` (raw-SQL tables, such as search's: both migrations).
 */
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../server/db/open-database.js';
import {
  applyPgMigrations,
  postgresAvailable,
  startPostgres,
  type PostgresServer,
} from '../helpers/postgres.js';
import {
  describePostgres,
  describeSqlite,
  schemaDifferences,
  type AllowedDifferences,
  type SchemaDescription,
} from '../helpers/schema-description.js';

/** What PostgreSQL has by design and SQLite has not (server/db/migrations-pg/0001_search.sql). */
const ALLOWED: AllowedDifferences = {
  postgresOnlyColumns: {
    'search_fts.app_id': "FTS5's rowid (= apps.id), a real column on PostgreSQL",
    'search_fts.document': "the tsvector of the six text columns: FTS5's index, as a column",
  },
  postgresOnlyIndexes: { search_fts_document: 'the GIN index of search_fts.document' },
  primaryKeys: { search_fts: "an FTS5 table's key is its rowid, which table_info does not list" },
};

describe('schema parity of SQLite and PostgreSQL', function () {
  this.timeout(90_000);
  let pg: PostgresServer | undefined;
  let dir: string;
  let sqlite: SchemaDescription;
  let postgres: SchemaDescription;

  before(async function () {
    if (!postgresAvailable()) this.skip();
    dir = await mkdtemp(join(tmpdir(), 'appshelf-parity-'));
    const opened = openDatabase(dir);
    sqlite = describeSqlite(opened.sqlite);
    opened.sqlite.close();
    pg = await startPostgres();
    await applyPgMigrations(pg);
    postgres = await describePostgres(pg);
  });

  after(async () => {
    await pg?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('both dialects have the same tables, columns, keys and indexes', () => {
    expect(Object.keys(sqlite)).to.include.members(['apps', 'manifests', 'search_fts', 'users']);
    const differences = schemaDifferences(sqlite, postgres, ALLOWED);
    expect(differences, `the dialects differ:\n  ${differences.join('\n  ')}\n`).to.deep.equal([]);
  });

  it('every allowed difference is still one (no stale exceptions)', () => {
    for (const column of Object.keys(ALLOWED.postgresOnlyColumns)) {
      const [table, name] = column.split('.') as [string, string];
      expect(postgres[table]?.columns, column).to.have.property(name);
      expect(sqlite[table]?.columns, column).to.not.have.property(name);
    }
    for (const index of Object.keys(ALLOWED.postgresOnlyIndexes))
      expect(
        Object.values(postgres).some((t) => index in t.indexes),
        index,
      ).to.equal(true);
  });

  it('names a table, column, index or key that one dialect lacks', () => {
    const broken = structuredClone(postgres);
    delete broken.org_invitations;
    delete broken.apps!.columns.listed;
    broken.tags!.indexes.tags_digest!.columns.reverse();
    broken.versions!.foreignKeys[0]!.onDelete = 'no action';
    broken.users!.columns.bio!.notNull = false;
    broken.search_docs!.columns.sort_name!.caseInsensitive = false;
    broken.extra = { columns: {}, primaryKey: [], indexes: {}, foreignKeys: [] };
    expect(schemaDifferences(sqlite, broken, ALLOWED)).to.have.members([
      'table org_invitations: exists on SQLite only',
      'table extra: exists on PostgreSQL only',
      'column apps.listed: exists on SQLite only',
      'index tags_digest on tags: (repository, digest) on SQLite, (digest, repository) on PostgreSQL',
      'table versions: foreign key (app_id) → apps(id) on delete cascade on SQLite only',
      'table versions: foreign key (app_id) → apps(id) on delete no action on PostgreSQL only',
      'column users.bio: NOT NULL on SQLite, nullable on PostgreSQL',
      'column search_docs.sort_name: case-insensitive on SQLite, case-sensitive on PostgreSQL',
    ]);
  });
});
