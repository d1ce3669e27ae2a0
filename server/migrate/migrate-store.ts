/**
 * `appshelf migrate`: moves a stopped store to PostgreSQL and/or S3 (docs/deployment.md). The
 * order makes every failure safe to run again: the target database is checked empty first, the
 * storage objects go next (a second run skips what is there), the rows last, in one transaction
 * (a failure leaves the target database empty again). The source is only read, but for upload
 * sessions in progress when the database stays and the storage moves: their bytes are staged
 * where the new storage cannot read them, so their rows go.
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type pg from 'pg';
import type { Config } from '../../schemas/config.js';
import {
  openPgStore,
  openSqliteStore,
  type PgStoreDatabase,
  type SqliteStoreDatabase,
  type StoreDatabase,
} from '../db/store-database.js';
import { pgFailureReason } from '../db/pg-failure.js';
import { storageDriverOf } from '../storage-drivers.js';
import { copyObjects, type ObjectCopyTotals } from './copy-objects.js';
import { checkTarget, copyRows, type CopiedTable, type TableProgress } from './copy-rows.js';
import { MigrationError } from './migration-error.js';
import { planMigration } from './migration-plan.js';
import { keysLines, objectsLine, planLines } from './migration-report.js';

export interface MigrateOptions {
  source: Config;
  target: Config;
  /** Progress, as it goes. */
  progress(line: string): void;
  /** How often a long step repeats its progress line: default 2 s. */
  progressEveryMs?: number;
}

export interface MigrationSummary {
  /** Rows copied per table; undefined when the database stayed. */
  rows: Map<string, number> | undefined;
  objects: ObjectCopyTotals | undefined;
  /** Upload sessions in progress that did not move. */
  uploadsLeftOut: number;
  /** What the operator still has to do and know, as lines to print. */
  lines: string[];
}

/** Upload sessions: the one table whose rows name bytes staged outside storage (fs: <data>/uploads). */
const UPLOADS = 'uploads';

export async function migrateStore(options: MigrateOptions): Promise<MigrationSummary> {
  const { source, target } = options;
  const plan = planMigration(source, target);
  for (const line of planLines(source, target, plan)) options.progress(line);
  const every = options.progressEveryMs ?? 2_000;

  const from = await openSource(source);
  let to: pg.PoolClient | undefined;
  let toStore: PgStoreDatabase | undefined;
  try {
    let tables: CopiedTable[] | undefined;
    if (plan.databaseTo !== undefined) {
      toStore = await openPg(plan.databaseTo, 'target');
      to = await toStore.pool.connect();
      tables = await checkTarget(sqliteOf(from), to);
    }

    let objects: ObjectCopyTotals | undefined;
    if (plan.storageMoves) {
      const now = throttle(every);
      objects = await copyObjects(
        await storageDriverOf(source),
        await storageDriverOf(target),
        (totals) => now(() => options.progress(objectsLine(totals))),
      );
      options.progress(objectsLine(objects));
    }

    let rows: Map<string, number> | undefined;
    let uploadsLeftOut = 0;
    if (to && tables) {
      const empty: string[] = [];
      const now = throttle(every);
      rows = await copyRows(sqliteOf(from), to, tables, {
        leaveOut: new Set(plan.storageMoves ? [UPLOADS] : []),
        onProgress: (p, done) => {
          if (p.leftOut) uploadsLeftOut = p.rows;
          else if (!done) {
            if (p.copied < p.rows) now(() => options.progress(tableLine(p, false)));
          } else if (p.rows === 0) empty.push(p.table);
          else options.progress(tableLine(p, true));
        },
      });
      if (empty.length) options.progress(`rows: no rows in ${empty.join(', ')}`);
    } else if (plan.storageMoves) {
      uploadsLeftOut = await dropUploadSessions(from);
    }
    if (from.dialect === 'sqlite') from.sqlite.exec('COMMIT');

    const lines = summaryLines(rows, objects, uploadsLeftOut);
    lines.push(...keysLines(source, target, await keyFiles(source)));
    return { rows, objects, uploadsLeftOut, lines };
  } finally {
    if (from.dialect === 'sqlite' && from.sqlite.inTransaction) from.sqlite.exec('ROLLBACK');
    to?.release();
    await toStore?.close();
    await from.close();
  }
}

/**
 * The source database, holding SQLite's write lock for the whole run: nothing changes under the
 * copy, and a store that still runs (and writes) is found out instead of losing its writes.
 */
async function openSource(source: Config): Promise<StoreDatabase> {
  if (source.database.url !== undefined) return openPg(source.database.url, 'source');
  const file = resolve(source.data, 'appshelf.db');
  if (!existsSync(file))
    throw new MigrationError(
      'no_source',
      `no store database at ${file}: run migrate with the config the store runs with (-c), from the folder it runs in`,
    );
  const store = openSqliteStore(source.data);
  try {
    store.sqlite.exec('BEGIN IMMEDIATE');
  } catch (err) {
    await store.close();
    throw new MigrationError(
      'source_busy',
      `the store's database ${file} is being written to: stop the store, then run migrate again`,
      { cause: err },
    );
  }
  return store;
}

/** A migrated pool on `url`; a failure says why, and where, without the password (pg-failure.ts). */
async function openPg(url: string, side: 'source' | 'target'): Promise<PgStoreDatabase> {
  try {
    // Two connections: the copy's, and the migrator's advisory lock; no statement timeout, as a
    // batch of large manifests may take a while.
    return await openPgStore(url, { maxConnections: 2, statementTimeoutMs: 0 });
  } catch (err) {
    throw new MigrationError(
      'unreachable',
      `the ${side}'s database.url: ${pgFailureReason(url, err)}`,
      {
        cause: err,
      },
    );
  }
}

function sqliteOf(store: StoreDatabase): SqliteStoreDatabase['sqlite'] {
  // planMigration moves rows only out of SQLite.
  if (store.dialect !== 'sqlite') throw new Error('the rows move only out of SQLite');
  return store.sqlite;
}

async function dropUploadSessions(store: StoreDatabase): Promise<number> {
  if (store.dialect === 'sqlite')
    return store.sqlite.prepare(`DELETE FROM ${UPLOADS}`).run().changes;
  const done = await store.pool.query(`DELETE FROM ${UPLOADS}`);
  return done.rowCount ?? 0;
}

async function keyFiles(source: Config): Promise<string[]> {
  const names = await readdir(resolve(source.data, 'keys')).catch(() => [] as string[]);
  return names.sort();
}

function tableLine(p: TableProgress, done: boolean): string {
  return done ? `rows: ${p.table} ${p.copied}` : `rows: ${p.table} ${p.copied} of ${p.rows}`;
}

function summaryLines(
  rows: Map<string, number> | undefined,
  objects: ObjectCopyTotals | undefined,
  uploadsLeftOut: number,
): string[] {
  const lines: string[] = [];
  const parts: string[] = [];
  if (rows) {
    const total = [...rows.values()].reduce((a, b) => a + b, 0);
    parts.push(`${total} rows in ${rows.size} tables`);
  }
  if (objects) parts.push(objectsLine(objects).replace(/^storage: /, ''));
  lines.push(`migrated: ${parts.join('; ')}`);
  if (uploadsLeftOut)
    lines.push(
      `uploads: ${uploadsLeftOut} blob uploads in progress did not move (their bytes are staged in the old data folder's uploads/); the clients start them again`,
    );
  return lines;
}

/** Runs at most one `fn` per `ms`. */
function throttle(ms: number): (fn: () => void) => void {
  let last = Date.now();
  return (fn) => {
    const now = Date.now();
    if (now - last < ms) return;
    last = now;
    fn();
  };
}
