/**
 * The search worker: reads term hits (term-fetch.ts) on its own read-only connection, so the
 * few milliseconds a broad term costs the first time never stall the event loop that serves
 * every other request. Messages: {id, query} in; {id, hits} (typed arrays, transferred) or
 * {id, error} out.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { TermQuery } from './fts-query.js';
import { TermFetch, type RawTermHits } from './term-fetch.js';

export interface TermRequest {
  id: number;
  query: TermQuery;
}

export type TermResponse = { id: number; hits: RawTermHits } | { id: number; error: string };

const port = parentPort;
if (port) {
  const db = new Database((workerData as { path: string }).path, {
    readonly: true,
    fileMustExist: true,
  });
  db.pragma('busy_timeout = 5000');
  const terms = new TermFetch(db);
  port.on('message', ({ id, query }: TermRequest) => {
    try {
      const hits = terms.fetch(query);
      port.postMessage({ id, hits } satisfies TermResponse, [
        hits.ids.buffer as ArrayBuffer,
        hits.scores.buffer as ArrayBuffer,
        hits.tiers.buffer as ArrayBuffer,
      ]);
    } catch (err) {
      port.postMessage({
        id,
        error: err instanceof Error ? err.message : String(err),
      } satisfies TermResponse);
    }
  });
}
