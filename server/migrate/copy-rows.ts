/**
 * Copies the SQLite database's rows into an empty, migrated PostgreSQL database, in one
 * transaction: a run that fails leaves the target as empty as it found it, so the next run
 * starts over. Ids are kept (every foreign key, session, key and token stays valid), and each
 * identity or serial sequence is then moved past the largest copied id. The target's search
 * triggers index the rows as they arrive; the copy checks the index against the rows before it
 * commits.
 */
import type Database from 'better-sqlite3';
import type pg from 'pg';
import { MigrationError } from './migration-error.js';
import { tablesToCopy, type CopiedColumn, type CopiedTable } from './table-catalog.js';

export type { CopiedTable };

/** Rows per INSERT, parameters per INSERT (PostgreSQL allows 65,535), bytes per INSERT. */
const BATCH_ROWS = 500;
const BATCH_PARAMETERS = 30_000;
const BATCH_BYTES = 8 * 1024 * 1024;

export interface TableProgress {
  table: string;
  copied: number;
  rows: number;
  /** Rows of a table whose rows do not move (`leaveOut`). */
  leftOut?: boolean;
}

export interface RowCopyOptions {
  /** Tables whose rows stay behind (upload sessions staged where the target cannot read them). */
  leaveOut: ReadonlySet<string>;
  onProgress(progress: TableProgress, done: boolean): void;
}

/**
 * The tables to copy, once the target was found empty: called before anything is copied (the
 * blobs go first), so a target that is not empty is refused before any work.
 */
export async function checkTarget(
  sqlite: Database.Database,
  target: pg.ClientBase,
): Promise<CopiedTable[]> {
  const tables = await tablesToCopy(sqlite, target);
  await refuseRows(target, tables);
  return tables;
}

/** Resolves to the rows copied per table. */
export async function copyRows(
  sqlite: Database.Database,
  target: pg.ClientBase,
  tables: readonly CopiedTable[],
  options: RowCopyOptions,
): Promise<Map<string, number>> {
  const copied = new Map<string, number>();
  await target.query('BEGIN');
  try {
    // Again inside the transaction: nothing may have written to the target since the check.
    await refuseRows(target, tables);
    for (const table of tables) {
      const rows = Number(
        sqlite
          .prepare(`SELECT count(*) FROM ${quote(table.name)}`)
          .pluck()
          .get(),
      );
      if (options.leaveOut.has(table.name)) {
        options.onProgress({ table: table.name, copied: 0, rows, leftOut: true }, true);
        continue;
      }
      const count = await copyTable(sqlite, target, table, (n) =>
        options.onProgress({ table: table.name, copied: n, rows }, false),
      );
      options.onProgress({ table: table.name, copied: count, rows }, true);
      copied.set(table.name, count);
      await advanceSequences(target, table);
    }
    await checkSearchIndex(target);
    await target.query('COMMIT');
  } catch (err) {
    await target.query('ROLLBACK').catch(() => {});
    throw err;
  }
  return copied;
}

/** The target must be a store that never ran: no row in any table the copy fills. */
async function refuseRows(target: pg.ClientBase, tables: readonly CopiedTable[]): Promise<void> {
  const filled: string[] = [];
  for (const table of tables) {
    const { rows } = await target.query<{ any: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM ${quote(table.name)}) AS any`,
    );
    if (rows[0]?.any) filled.push(table.name);
  }
  if (filled.length)
    throw new MigrationError(
      'target_not_empty',
      `the target database is not empty (rows in ${filled.join(', ')}): migrate fills only a database no store has run on; give it a new, empty database`,
    );
}

async function copyTable(
  sqlite: Database.Database,
  target: pg.ClientBase,
  table: CopiedTable,
  onBatch: (copied: number) => void,
): Promise<number> {
  const names = table.columns.map((c) => quote(c.name)).join(', ');
  // One row at a time off SQLite's cursor, and an INSERT whenever the batch is full by rows or
  // by bytes: memory holds one batch, however large the table or its manifests. Nothing else
  // uses the SQLite connection while the cursor is open.
  const rows = sqlite
    .prepare(`SELECT ${names} FROM ${quote(table.name)} ORDER BY rowid`)
    .safeIntegers(true)
    .iterate() as IterableIterator<Record<string, unknown>>;
  const insert = `INSERT INTO ${quote(table.name)} (${names})${table.identity ? ' OVERRIDING SYSTEM VALUE' : ''} VALUES `;
  const perRow = table.columns.length;
  const rowsPerBatch = Math.max(1, Math.min(BATCH_ROWS, Math.floor(BATCH_PARAMETERS / perRow)));
  let values: unknown[] = [];
  let bytes = 0;
  let copied = 0;
  const flush = async (): Promise<void> => {
    if (!values.length) return;
    const tuples = Array.from(
      { length: values.length / perRow },
      (_, r) => `(${table.columns.map((_c, i) => `$${r * perRow + i + 1}`).join(', ')})`,
    );
    await target.query(insert + tuples.join(', '), values);
    copied += values.length / perRow;
    values = [];
    bytes = 0;
    onBatch(copied);
  };
  try {
    for (const row of rows) {
      for (const column of table.columns) {
        const value = toTarget(row[column.name], column);
        bytes += Buffer.isBuffer(value) || typeof value === 'string' ? value.length : 8;
        values.push(value);
      }
      if (bytes >= BATCH_BYTES || values.length / perRow >= rowsPerBatch) await flush();
    }
  } finally {
    rows.return?.();
  }
  await flush();
  return copied;
}

/** A SQLite value as the target column takes it: 0/1 → boolean, integers exactly, text → bytea. */
function toTarget(value: unknown, column: CopiedColumn): unknown {
  if (value === null || value === undefined) return null;
  switch (column.type) {
    case 'boolean':
      return typeof value === 'bigint' ? value !== 0n : Boolean(value);
    case 'bytea':
      return Buffer.isBuffer(value) ? value : Buffer.from(String(value), 'utf8');
    default:
      // 64-bit integers as text: PostgreSQL parses them exactly; a JS number could not hold them.
      return typeof value === 'bigint' ? value.toString() : value;
  }
}

async function advanceSequences(target: pg.ClientBase, table: CopiedTable): Promise<void> {
  for (const { column, sequence } of table.sequences)
    await target.query(
      `SELECT setval($1::regclass, coalesce((SELECT max(${quote(column)}) FROM ${quote(table.name)}), 0) + 1, false)`,
      [sequence],
    );
}

/**
 * The index the triggers built must cover every app with the shelf state and the totals its
 * rows give; a difference is a bug in the copy, and the transaction is rolled back.
 */
async function checkSearchIndex(target: pg.ClientBase): Promise<void> {
  const { rows } = await target.query<{ apps: string; docs: string; texts: string; wrong: string }>(
    `SELECT (SELECT count(*) FROM apps) AS apps,
        (SELECT count(*) FROM search_docs) AS docs,
        (SELECT count(*) FROM search_fts) AS texts,
        (SELECT count(*) FROM search_docs d
          LEFT JOIN (SELECT app_id, sum(installs) AS installs, sum(visits) AS visits, sum(pulls) AS pulls
            FROM app_stats_daily GROUP BY app_id) s ON s.app_id = d.app_id
          WHERE d.shelf IS DISTINCT FROM search_shelf(d.app_id)
            OR d.installs <> coalesce(s.installs, 0) OR d.visits <> coalesce(s.visits, 0)
            OR d.pulls <> coalesce(s.pulls, 0)) AS wrong`,
  );
  const { apps, docs, texts, wrong } = rows[0]!;
  if (docs !== apps || texts !== apps || wrong !== '0')
    throw new MigrationError(
      'verification_failed',
      `the target's search index does not match its rows (${apps} apps, ${docs} and ${texts} indexed, ${wrong} wrong)`,
    );
}

const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`;
