/**
 * What `/metrics` reports of the database: its size on disk and its connections. The two
 * engines differ in kind, so each reports what it has: SQLite has files (the database and its
 * write-ahead log) and one connection per thread that opens it; PostgreSQL has a database size
 * and a pool, whose clients are busy or idle, and callers waiting for one when all are busy.
 */
import { statSync } from 'node:fs';
import type { StoreDatabase } from './store-database.js';

export interface DatabaseUsage {
  /** Bytes by file (`database`, and SQLite's `wal`). */
  sizes: Record<string, number>;
  /** Connections by label: SQLite's threads (1 open, 0 not); PostgreSQL's pool, `busy` and `idle`. */
  connections: Record<string, number>;
  /** Requests waiting for a pooled connection (PostgreSQL; 0 on SQLite, which has no pool). */
  waiting: number;
}

/** SQLite's connections besides the main one: whether each thread's is open now. */
export type SqliteThreads = () => Record<string, boolean>;

export function databaseUsage(
  store: StoreDatabase,
  threads: SqliteThreads,
): () => Promise<DatabaseUsage> {
  if (store.dialect === 'postgres') {
    const { pool } = store;
    return async () => {
      const { rows } = await pool.query<{ size: string }>(
        'SELECT pg_database_size(current_database()) AS size',
      );
      return {
        sizes: { database: Number(rows[0]?.size ?? 0) },
        connections: { busy: pool.totalCount - pool.idleCount, idle: pool.idleCount },
        waiting: pool.waitingCount,
      };
    };
  }
  const { sqlite } = store;
  return () => {
    const connections: Record<string, number> = { main: sqlite.open ? 1 : 0 };
    for (const [name, open] of Object.entries(threads())) connections[name] = open ? 1 : 0;
    const pages = sqlite.pragma('page_count', { simple: true }) as number;
    const pageSize = sqlite.pragma('page_size', { simple: true }) as number;
    return Promise.resolve({
      sizes: { database: pages * pageSize, wal: fileSize(`${sqlite.name}-wal`) },
      connections,
      waiting: 0,
    });
  };
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0; // no WAL yet (or just checkpointed away)
  }
}
