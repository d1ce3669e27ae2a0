/**
 * A dialect-neutral description of a migrated database (tables, columns, keys, indexes), read from
 * SQLite's catalog or PostgreSQL's, and the differences between two of them, each named in a line
 * a person can act on. test/db/schema-parity.test.ts holds the dialects to one schema.
 */
import type Database from 'better-sqlite3';
import type { PostgresServer } from './postgres.js';

/** Storage classes both dialects share: what a column holds, not how wide. */
export type TypeFamily = 'integer' | 'text' | 'bytes' | 'real' | 'fulltext' | 'other';

export interface ColumnDescription {
  family: TypeFamily;
  notNull: boolean;
  /** Compared case-insensitively: SQLite's COLLATE NOCASE, PostgreSQL's `nocase` collation. */
  caseInsensitive: boolean;
  /** The default as a literal (`''`, `0`, `'{}'`), false/true as 0/1; undefined when none. */
  default?: string;
}

export interface IndexDescription {
  columns: string[];
  unique: boolean;
}

export interface ForeignKeyDescription {
  columns: string[];
  table: string;
  references: string[];
  onDelete: string;
}

export interface TableDescription {
  columns: Record<string, ColumnDescription>;
  primaryKey: string[];
  /** Named indexes (not the ones a primary key makes), by name. */
  indexes: Record<string, IndexDescription>;
  foreignKeys: ForeignKeyDescription[];
}

export type SchemaDescription = Record<string, TableDescription>;

/** Tables that are bookkeeping of the engine or of the migrator, not of appshelf. */
const SQLITE_INTERNAL = /^(sqlite_|__drizzle_migrations$)/;
/** FTS5's shadow tables of a virtual table (search_fts_data, ..._idx, ..._content, ...). */
const FTS5_SHADOW = /_(data|idx|content|docsize|config)$/;

/** The description of a migrated SQLite database. */
export function describeSqlite(sqlite: Database.Database): SchemaDescription {
  const tables = sqlite
    .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name")
    .all() as { name: string; sql: string }[];
  const virtual = tables.filter((t) => /^CREATE VIRTUAL TABLE/i.test(t.sql)).map((t) => t.name);
  const out: SchemaDescription = {};
  for (const { name } of tables) {
    if (SQLITE_INTERNAL.test(name)) continue;
    if (virtual.some((v) => name.startsWith(`${v}_`) && FTS5_SHADOW.test(name))) continue;
    const isVirtual = virtual.includes(name);
    const nocase = nocaseColumns(tables.find((t) => t.name === name)!.sql);
    const info = sqlite.prepare(`PRAGMA table_info("${name}")`).all() as {
      name: string;
      type: string;
      notnull: number;
      dflt_value: string | null;
      pk: number;
    }[];
    const columns: Record<string, ColumnDescription> = {};
    for (const c of info)
      columns[c.name] = {
        family: isVirtual ? 'fulltext' : sqliteFamily(c.type),
        // An INTEGER PRIMARY KEY is the rowid: never null, whatever the declaration says.
        notNull: c.notnull === 1 || (c.pk > 0 && /^integer$/i.test(c.type)),
        caseInsensitive: nocase.has(c.name),
        ...(c.dflt_value === null ? {} : { default: normaliseDefault(c.dflt_value) }),
      };
    const primaryKey = info
      .filter((c) => c.pk > 0)
      .sort((a, b) => a.pk - b.pk)
      .map((c) => c.name);
    const indexes: Record<string, IndexDescription> = {};
    const list = sqlite.prepare(`PRAGMA index_list("${name}")`).all() as {
      name: string;
      unique: number;
      origin: string;
    }[];
    for (const ix of list) {
      if (ix.origin === 'pk') continue;
      const cols = sqlite.prepare(`PRAGMA index_info("${ix.name}")`).all() as {
        seqno: number;
        name: string;
      }[];
      indexes[ix.name] = {
        columns: cols.sort((a, b) => a.seqno - b.seqno).map((c) => c.name),
        unique: ix.unique === 1,
      };
    }
    const fkRows = sqlite.prepare(`PRAGMA foreign_key_list("${name}")`).all() as {
      id: number;
      seq: number;
      table: string;
      from: string;
      to: string;
      on_delete: string;
    }[];
    const foreignKeys: ForeignKeyDescription[] = [];
    for (const id of [...new Set(fkRows.map((r) => r.id))]) {
      const rows = fkRows.filter((r) => r.id === id).sort((a, b) => a.seq - b.seq);
      foreignKeys.push({
        columns: rows.map((r) => r.from),
        table: rows[0]!.table,
        references: rows.map((r) => r.to),
        onDelete: rows[0]!.on_delete.toLowerCase(),
      });
    }
    out[name] = { columns, primaryKey, indexes, foreignKeys };
  }
  return out;
}

/** The description of the `public` schema of a migrated PostgreSQL database. */
export async function describePostgres(pg: PostgresServer): Promise<SchemaDescription> {
  const query = async <T>(sql: string): Promise<T[]> => {
    const { stdout } = await pg.psql(`SELECT coalesce(json_agg(q), '[]') FROM (${sql}) q`);
    return JSON.parse(stdout) as T[];
  };
  const tables = await query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables
     WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> '__drizzle_migrations'`,
  );
  const columns = await query<{
    table: string;
    name: string;
    type: string;
    not_null: boolean;
    collation: string | null;
    default: string | null;
  }>(
    `SELECT c.relname AS table, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
       a.attnotnull AS not_null,
       (SELECT collname FROM pg_collation WHERE oid = a.attcollation) AS collation,
       CASE WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin, d.adrelid) END AS default
     FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
     ORDER BY c.relname, a.attnum`,
  );
  const indexes = await query<{
    table: string;
    name: string;
    columns: string[];
    unique: boolean;
    primary: boolean;
  }>(
    `SELECT t.relname AS table, i.relname AS name, x.indisunique AS unique, x.indisprimary AS primary,
       array(SELECT a.attname FROM unnest(x.indkey) WITH ORDINALITY k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.ord) AS columns
     FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = 'public'`,
  );
  const foreignKeys = await query<{
    table: string;
    columns: string[];
    references_table: string;
    references: string[];
    on_delete: string;
  }>(
    `SELECT t.relname AS table, r.relname AS references_table,
       array(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum ORDER BY k.ord) AS columns,
       array(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum ORDER BY k.ord) AS references,
       CASE c.confdeltype WHEN 'a' THEN 'no action' WHEN 'r' THEN 'restrict' WHEN 'c' THEN 'cascade'
         WHEN 'n' THEN 'set null' WHEN 'd' THEN 'set default' END AS on_delete
     FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_class r ON r.oid = c.confrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = 'public'
     WHERE c.contype = 'f'`,
  );
  const out: SchemaDescription = {};
  for (const { name } of tables) {
    const table: TableDescription = { columns: {}, primaryKey: [], indexes: {}, foreignKeys: [] };
    for (const c of columns.filter((c) => c.table === name))
      table.columns[c.name] = {
        family: postgresFamily(c.type),
        notNull: c.not_null,
        caseInsensitive: c.collation === 'nocase',
        ...(c.default === null ? {} : { default: normaliseDefault(c.default) }),
      };
    for (const ix of indexes.filter((i) => i.table === name)) {
      if (ix.primary) table.primaryKey = ix.columns;
      else table.indexes[ix.name] = { columns: ix.columns, unique: ix.unique };
    }
    table.foreignKeys = foreignKeys
      .filter((f) => f.table === name)
      .map((f) => ({
        columns: f.columns,
        table: f.references_table,
        references: f.references,
        onDelete: f.on_delete,
      }));
    out[name] = table;
  }
  return out;
}

/**
 * Differences PostgreSQL has by design, each with its reason: left out of the comparison.
 * Anything else that differs is a mismatch.
 */
export interface AllowedDifferences {
  /** `table.column` that exists on PostgreSQL only. */
  postgresOnlyColumns: Record<string, string>;
  /** Index names that exist on PostgreSQL only. */
  postgresOnlyIndexes: Record<string, string>;
  /** Tables whose primary key differs (an FTS5 table has none; its rowid is the key). */
  primaryKeys: Record<string, string>;
}

/** Every difference between the SQLite and the PostgreSQL description, one line each. */
export function schemaDifferences(
  sqlite: SchemaDescription,
  postgres: SchemaDescription,
  allowed: AllowedDifferences,
): string[] {
  const out: string[] = [];
  for (const name of Object.keys(sqlite))
    if (!(name in postgres)) out.push(`table ${name}: exists on SQLite only`);
  for (const name of Object.keys(postgres))
    if (!(name in sqlite)) out.push(`table ${name}: exists on PostgreSQL only`);
  for (const [name, s] of Object.entries(sqlite)) {
    const p = postgres[name];
    if (p === undefined) continue;
    for (const [col, sc] of Object.entries(s.columns)) {
      const pc = p.columns[col];
      if (pc === undefined) {
        out.push(`column ${name}.${col}: exists on SQLite only`);
        continue;
      }
      // An FTS5 column is text; its family says only where it lives.
      const sFamily = sc.family === 'fulltext' ? 'text' : sc.family;
      if (sFamily !== pc.family)
        out.push(`column ${name}.${col}: ${sc.family} on SQLite, ${pc.family} on PostgreSQL`);
      if (sc.notNull !== pc.notNull && sc.family !== 'fulltext')
        out.push(
          `column ${name}.${col}: ${sc.notNull ? 'NOT NULL' : 'nullable'} on SQLite, ${pc.notNull ? 'NOT NULL' : 'nullable'} on PostgreSQL`,
        );
      if (sc.caseInsensitive !== pc.caseInsensitive)
        out.push(
          `column ${name}.${col}: ${sc.caseInsensitive ? 'case-insensitive' : 'case-sensitive'} on SQLite, ${pc.caseInsensitive ? 'case-insensitive' : 'case-sensitive'} on PostgreSQL`,
        );
      if (sc.default !== pc.default)
        out.push(
          `column ${name}.${col}: default ${sc.default ?? 'none'} on SQLite, ${pc.default ?? 'none'} on PostgreSQL`,
        );
    }
    for (const col of Object.keys(p.columns))
      if (!(col in s.columns) && allowed.postgresOnlyColumns[`${name}.${col}`] === undefined)
        out.push(`column ${name}.${col}: exists on PostgreSQL only`);
    if (
      allowed.primaryKeys[name] === undefined &&
      s.primaryKey.join(',') !== p.primaryKey.join(',')
    )
      out.push(
        `table ${name}: primary key (${s.primaryKey.join(', ')}) on SQLite, (${p.primaryKey.join(', ')}) on PostgreSQL`,
      );
    for (const [ix, si] of Object.entries(s.indexes)) {
      const pi = p.indexes[ix];
      if (pi === undefined) out.push(`index ${ix} on ${name}: exists on SQLite only`);
      else if (si.columns.join(',') !== pi.columns.join(',') || si.unique !== pi.unique)
        out.push(
          `index ${ix} on ${name}: ${describeIndex(si)} on SQLite, ${describeIndex(pi)} on PostgreSQL`,
        );
    }
    for (const ix of Object.keys(p.indexes))
      if (!(ix in s.indexes) && allowed.postgresOnlyIndexes[ix] === undefined)
        out.push(`index ${ix} on ${name}: exists on PostgreSQL only`);
    const sKeys = s.foreignKeys.map(describeForeignKey).sort();
    const pKeys = p.foreignKeys.map(describeForeignKey).sort();
    for (const k of sKeys)
      if (!pKeys.includes(k)) out.push(`table ${name}: foreign key ${k} on SQLite only`);
    for (const k of pKeys)
      if (!sKeys.includes(k)) out.push(`table ${name}: foreign key ${k} on PostgreSQL only`);
  }
  return out;
}

function describeIndex(ix: IndexDescription): string {
  return `${ix.unique ? 'unique ' : ''}(${ix.columns.join(', ')})`;
}

function describeForeignKey(k: ForeignKeyDescription): string {
  return `(${k.columns.join(', ')}) → ${k.table}(${k.references.join(', ')}) on delete ${k.onDelete}`;
}

/** The columns a CREATE TABLE declares COLLATE NOCASE (SQLite has no pragma that tells). */
function nocaseColumns(createSql: string): Set<string> {
  const out = new Set<string>();
  for (const m of createSql.matchAll(/[(,]\s*[`"]?(\w+)[`"]?[^,()]*?\bCOLLATE\s+NOCASE\b/gi))
    out.add(m[1]!);
  return out;
}

function sqliteFamily(type: string): TypeFamily {
  const t = type.toLowerCase();
  if (t === 'integer') return 'integer';
  if (t === 'text') return 'text';
  if (t === 'blob') return 'bytes';
  if (t === 'real') return 'real';
  return 'other';
}

/** Booleans are integers in SQLite (drizzle reads both as booleans), so they share a family. */
function postgresFamily(type: string): TypeFamily {
  if (['integer', 'bigint', 'smallint', 'boolean'].includes(type)) return 'integer';
  if (type === 'text') return 'text';
  if (type === 'bytea') return 'bytes';
  if (type === 'double precision' || type === 'real') return 'real';
  if (type === 'tsvector') return 'fulltext';
  return 'other';
}

/** `''::text` → `''`; `false` → `0`; `true` → `1`. */
function normaliseDefault(value: string): string {
  const v = value.replace(/::[a-z ]+$/i, '');
  if (v.toLowerCase() === 'false') return '0';
  if (v.toLowerCase() === 'true') return '1';
  return v;
}
