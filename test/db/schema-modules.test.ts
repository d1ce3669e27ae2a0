/**
 * The pg-core schema files are twins of the sqlite-core ones at the TypeScript level too: the
 * same exports, table names and JS column keys, and rows of the same types, so a query written
 * once against the drizzle tables compiles and reads the same on both dialects. (Types are
 * checked by `tsc`: a differing row type is a compile error in this file.)
 */
import { expect } from 'chai';
import { getTableColumns, getTableName, is, Table, type InferSelectModel } from 'drizzle-orm';
import * as registryPg from '../../registry/metadata/schema.pg.js';
import * as registrySqlite from '../../registry/metadata/schema.js';
import * as accountsPg from '../../server/db/schema.pg.js';
import * as accountsSqlite from '../../server/db/schema.js';
import * as storePg from '../../server/db/store-schema.pg.js';
import * as storeSqlite from '../../server/db/store-schema.js';
import * as webhooksPg from '../../server/db/webhook-schema.pg.js';
import * as webhooksSqlite from '../../server/db/webhook-schema.js';

type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type SameRows<S extends Record<string, unknown>, P extends Record<keyof S, unknown>> = {
  [K in keyof S as S[K] extends Table ? K : never]: S[K] extends Table
    ? P[K] extends Table
      ? Equal<InferSelectModel<S[K]>, InferSelectModel<P[K]>>
      : false
    : never;
};
type AllTrue<T> = T[keyof T] extends true ? true : false;
const rowsMatch: [
  AllTrue<SameRows<typeof registrySqlite, typeof registryPg>>,
  AllTrue<SameRows<typeof accountsSqlite, typeof accountsPg>>,
  AllTrue<SameRows<typeof storeSqlite, typeof storePg>>,
  AllTrue<SameRows<typeof webhooksSqlite, typeof webhooksPg>>,
] = [true, true, true, true];

const PAIRS = [
  ['registry/metadata/schema', registrySqlite, registryPg],
  ['server/db/schema', accountsSqlite, accountsPg],
  ['server/db/store-schema', storeSqlite, storePg],
  ['server/db/webhook-schema', webhooksSqlite, webhooksPg],
] as const;

function tables(module: Record<string, unknown>): Map<string, Table> {
  return new Map(Object.entries(module).filter((e): e is [string, Table] => is(e[1], Table)));
}

describe('schema modules of the two dialects', () => {
  it('rows have the same types on both (checked by tsc)', () => {
    expect(rowsMatch).to.deep.equal([true, true, true, true]);
  });

  for (const [file, sqlite, pg] of PAIRS)
    it(`${file}.pg.ts exports the tables of ${file}.ts with the same names and columns`, () => {
      const s = tables(sqlite);
      const p = tables(pg);
      expect([...p.keys()].sort(), 'exported tables').to.deep.equal([...s.keys()].sort());
      for (const [name, table] of s) {
        const twin = p.get(name)!;
        expect(getTableName(twin), `${name}: table name`).to.equal(getTableName(table));
        const columns = (t: Table) =>
          Object.entries(getTableColumns(t)).map(([key, c]) => `${key}=${c.name}`);
        expect(columns(twin), `${name}: columns (key=name)`).to.deep.equal(columns(table));
      }
    });
});
