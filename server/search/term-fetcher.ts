/**
 * Runs term fetches on the search worker (term-worker.ts), or on the caller's connection when
 * there is none (an in-memory database, `worker: false`, or a worker that failed: its pending
 * fetches are then run here, and the worker is not restarted).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { TermQuery } from './fts-query.js';
import type { RawTermHits, TermFetch } from './term-fetch.js';
import type { TermRequest, TermResponse } from './term-worker.js';

interface Pending {
  query: TermQuery;
  resolve: (hits: RawTermHits) => void;
  reject: (err: Error) => void;
}

export class TermFetcher {
  private worker: Worker | undefined;
  private failed: boolean;
  private next = 1;
  private readonly pending = new Map<number, Pending>();

  /** `path`: the database file for the worker's connection; undefined for no worker. */
  constructor(
    private readonly inline: TermFetch,
    private readonly path: string | undefined,
    private readonly log?: Logger,
  ) {
    this.failed = path === undefined;
  }

  fetch(query: TermQuery): Promise<RawTermHits> {
    const worker = this.started();
    if (!worker) return this.fetchInline(query);
    return new Promise((resolve, reject) => {
      const id = this.next++;
      this.pending.set(id, { query, resolve, reject });
      worker.postMessage({ id, query } satisfies TermRequest);
    });
  }

  /** Whether the worker (with its own database connection) is running. */
  get running(): boolean {
    return this.worker !== undefined;
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.failed = true;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }

  private async fetchInline(query: TermQuery): Promise<RawTermHits> {
    return this.inline.fetch(query);
  }

  private started(): Worker | undefined {
    if (this.worker || this.failed || this.path === undefined) return this.worker;
    const worker = startWorker(this.path);
    worker.unref();
    worker.on('message', (message: TermResponse) => {
      const waiting = this.pending.get(message.id);
      if (!waiting) return;
      this.pending.delete(message.id);
      if ('hits' in message) waiting.resolve(message.hits);
      else waiting.reject(new Error(message.error));
    });
    const fail = (err: unknown): void => {
      if (this.worker !== worker) return;
      this.log?.warn({ err }, 'search worker failed; searching on the main thread');
      this.failed = true;
      this.worker = undefined;
      for (const [id, waiting] of this.pending) {
        this.pending.delete(id);
        this.fetchInline(waiting.query).then(waiting.resolve, waiting.reject);
      }
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`search worker exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }
}

/** The compiled worker beside this module, or, running from the sources, its tsx bootstrap. */
function startWorker(path: string): Worker {
  const compiled = new URL('./term-worker.js', import.meta.url);
  const entry = existsSync(fileURLToPath(compiled))
    ? compiled
    : new URL('./term-worker-dev.mjs', import.meta.url);
  return new Worker(entry, { workerData: { path } });
}
