/**
 * The tables `appshelf migrate` copies, read from the two databases' own catalogs rather than
 * from the drizzle schema files, so a table or column the schema files do not name is not left
 * behind. Both databases are migrated by the same build, so their tables and columns must match
 * by name; the copy follows the target's foreign keys (parents first).
 *
 * Not copied: SQLite's own tables, drizzle's migration journal (each engine has its own), and
 * the search index (`search_*`): FTS5 tables on SQLite, plain tables with a tsvector on
 * PostgreSQL, which the target's triggers fill as the rows they index arrive.
 */
import type Database from 'better-sqlite3';
import type pg from 'pg';
import { MigrationError } from './migration-error.js';

export interface CopiedColumn {
  name: string;
  /** The target column's type as information_schema names it (`boolean`, `bytea`, `bigint`…). */
  type: string;
}

export interface CopiedTable {
  name: string;
  columns: CopiedColumn[];
  /** The target has an identity column: inserts with ids need OVERRIDING SYSTEM VALUE. */
  identity: boolean;
  /** Sequences behind the target's identity or serial columns, to move past the copied ids. */
  sequences: { column: string; sequence: string }[];
}

const NOT_COPIED = (table: string): boolean =>
  table.startsWith('sqlite_') || table === '__drizzle_migrations' || table.startsWith('search_');

interface TargetColumn {
  table_name: string;
  column_name: string;
  data_type: string;
  is_generated: string;
  is_identity: string;
  sequence: string | null;
}

/** The tables to copy, parents before children; throws when the two databases differ. */
export async function tablesToCopy(
  sqlite: Database.Database,
  target: pg.ClientBase,
): Promise<CopiedTable[]> {
  const source = sourceColumns(sqlite);
  const { rows } = await target.query<TargetColumn>(
    `SELECT c.table_name, c.column_name, c.data_type, c.is_generated, c.is_identity,
        pg_get_serial_sequence(format('%I.%I', c.table_schema, c.table_name), c.column_name) AS sequence
      FROM information_schema.columns c
      JOIN information_schema.tables t
        ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
      WHERE c.table_schema = 'public'
      ORDER BY c.table_name, c.ordinal_position`,
  );
  const tables = new Map<string, CopiedTable>();
  for (const row of rows) {
    if (NOT_COPIED(row.table_name) || row.is_generated === 'ALWAYS') continue;
    let table = tables.get(row.table_name);
    if (!table) {
      table = { name: row.table_name, columns: [], identity: false, sequences: [] };
      tables.set(row.table_name, table);
    }
    table.columns.push({ name: row.column_name, type: row.data_type });
    if (row.is_identity === 'YES') table.identity = true;
    if (row.sequence) table.sequences.push({ column: row.column_name, sequence: row.sequence });
  }
  checkSameTables(source, tables);
  return inParentOrder(tables, await foreignKeys(target));
}

/** Every copied SQLite table's column names. */
function sourceColumns(sqlite: Database.Database): Map<string, Set<string>> {
  const names = sqlite
    .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
    .pluck()
    .all() as string[];
  const columns = sqlite.prepare('SELECT name FROM pragma_table_info(?)').pluck();
  return new Map(
    names
      .filter((name) => !NOT_COPIED(name))
      .map((name) => [name, new Set(columns.all(name) as string[])]),
  );
}

function checkSameTables(source: Map<string, Set<string>>, target: Map<string, CopiedTable>): void {
  const differences: string[] = [];
  for (const name of source.keys())
    if (!target.has(name)) differences.push(`${name}: not in the target`);
  for (const [name, table] of target) {
    const columns = source.get(name);
    if (!columns) {
      differences.push(`${name}: not in the source`);
      continue;
    }
    const targetNames = new Set(table.columns.map((c) => c.name));
    for (const c of columns)
      if (!targetNames.has(c)) differences.push(`${name}.${c}: not in the target`);
    for (const c of targetNames)
      if (!columns.has(c)) differences.push(`${name}.${c}: not in the source`);
  }
  if (differences.length)
    throw new MigrationError(
      'schema_mismatch',
      `the SQLite and PostgreSQL schemas differ (${differences.join('; ')}); run migrate with the build the store runs`,
    );
}

async function foreignKeys(target: pg.ClientBase): Promise<{ child: string; parent: string }[]> {
  const { rows } = await target.query<{ child: string; parent: string }>(
    `SELECT c.relname AS child, p.relname AS parent
      FROM pg_constraint k
      JOIN pg_class c ON c.oid = k.conrelid
      JOIN pg_class p ON p.oid = k.confrelid
      WHERE k.contype = 'f' AND k.connamespace = 'public'::regnamespace`,
  );
  return rows;
}

/** Kahn's order, by name among tables that are ready together (a stable, readable order). */
function inParentOrder(
  tables: Map<string, CopiedTable>,
  keys: { child: string; parent: string }[],
): CopiedTable[] {
  const parents = new Map([...tables.keys()].map((name) => [name, new Set<string>()]));
  for (const { child, parent } of keys)
    if (child !== parent && tables.has(parent)) parents.get(child)?.add(parent);
  const ordered: CopiedTable[] = [];
  while (parents.size) {
    const ready = [...parents].filter(([, of]) => of.size === 0).map(([name]) => name);
    if (!ready.length)
      throw new MigrationError(
        'schema_mismatch',
        `foreign keys form a cycle among ${[...parents.keys()].join(', ')}`,
      );
    for (const name of ready.sort()) {
      ordered.push(tables.get(name)!);
      parents.delete(name);
      for (const of of parents.values()) of.delete(name);
    }
  }
  return ordered;
}
