/**
 * The search worker: reads term hits on its own read-only connection, so what a term costs the
 * first time never stalls the event loop that serves every other request. It answers from its
 * in-memory term index (term-index-keeper.ts) when that is of the current text version, else
 * from FTS5 (term-fetch.ts) while the index of the new version is built. Messages: {id, query}
 * in, {id, hits} (typed arrays, transferred) or {id, error} out; {id, current: true} in, {id,
 * indexed} out once the index of the current text version is built (tests, benchmark);
 * {id, compute} in, {id, result} out: an uncached result (result-worker.ts); and {index} out,
 * what the keeper tells the log.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { TermQuery } from './fts-query.js';
import { TermFetch, type RawTermHits } from './term-fetch.js';
import type { Result } from './result-compute.js';
import { ResultWorker, type ComputeRequest } from './result-worker.js';
import { TermIndexKeeper, type IndexEvent } from './term-index-keeper.js';

export type TermRequest =
  | { id: number; query: TermQuery }
  | { id: number; current: true }
  | { id: number; compute: ComputeRequest };

export type TermResponse =
  | { id: number; hits: RawTermHits }
  | { id: number; error: string }
  | { id: number; indexed: number | undefined }
  | { id: number; result: Result | undefined }
  | { index: IndexEvent };

const port = parentPort;
if (port) {
  const { path, index } = workerData as { path: string; index: boolean };
  const db = new Database(path, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  const terms = new TermFetch(db);
  const keeper = index
    ? new TermIndexKeeper(
        path,
        () => terms.textVersion(),
        (event) => port.postMessage({ index: event } satisfies TermResponse),
      )
    : undefined;
  /** The index's answer; none (FTS5's turn) when it cannot tell, or fails. */
  const fromIndex = (query: TermQuery): RawTermHits | undefined => {
    try {
      return keeper?.hits(query);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      port.postMessage({ index: { event: 'failed', version: -1, reason } } satisfies TermResponse);
      return undefined;
    }
  };
  const results = new ResultWorker(
    db,
    (query) => fromIndex(query) ?? terms.fetch(query),
    () => terms.textVersion(),
  );
  port.on('message', (request: TermRequest) => {
    const { id } = request;
    if ('compute' in request) {
      results.compute(request.compute).then(
        (result) => port.postMessage({ id, result } satisfies TermResponse),
        (err: unknown) =>
          port.postMessage({
            id,
            error: err instanceof Error ? err.message : String(err),
          } satisfies TermResponse),
      );
      return;
    }
    if ('current' in request) {
      const indexed = keeper ? keeper.current() : Promise.resolve(undefined);
      void indexed.then((version) =>
        port.postMessage({ id, indexed: version } satisfies TermResponse),
      );
      return;
    }
    try {
      const hits = fromIndex(request.query) ?? terms.fetch(request.query);
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
