/**
 * Runs term fetches on the search worker (term-worker.ts, with its term index unless `index`
 * is false), or on the caller's connection when there is none (an in-memory database, `worker:
 * false`, or a worker that failed: its pending fetches are then run here, and the worker is not
 * restarted).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { TermQuery } from './fts-query.js';
import type { RawTermHits, TermFetch } from './term-fetch.js';
import type { Result } from './result-compute.js';
import type { ComputeRequest } from './result-worker.js';
import type { IndexEvent } from './term-index-keeper.js';
import type { TermRequest, TermResponse } from './term-worker.js';

interface Pending {
  query: TermQuery;
  resolve: (hits: RawTermHits) => void;
  reject: (err: Error) => void;
}

export interface TermFetcherOptions {
  /** Keep a term index on the worker (term-index-keeper.ts; default true). */
  index?: boolean;
  log?: Logger | undefined;
}

export class TermFetcher {
  private worker: Worker | undefined;
  private failed: boolean;
  private next = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly waiting = new Map<number, (version: number | undefined) => void>();
  private readonly computing = new Map<number, (result: Result | undefined) => void>();
  private readonly log: Logger | undefined;

  /** `path`: the database file for the worker's connection; undefined for no worker. */
  constructor(
    private readonly inline: TermFetch,
    private readonly path: string | undefined,
    private readonly options: TermFetcherOptions = {},
  ) {
    this.failed = path === undefined;
    this.log = options.log;
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

  /**
   * Resolves once the worker's term index is of the current text version: that version, or
   * undefined when there is no index (no worker, or none can be built for this store).
   */
  indexed(): Promise<number | undefined> {
    return this.ask(this.waiting, (id) => ({ id, current: true }));
  }

  /**
   * An uncached result computed on the worker (result-worker.ts); undefined when there is no
   * worker, it failed, or its snapshot is of another content version: the caller computes it.
   */
  compute(request: ComputeRequest): Promise<Result | undefined> {
    return this.ask(this.computing, (id) => ({ id, compute: request }));
  }

  /** Posts one request to the worker; its answer resolves through `answers` (undefined without a worker). */
  private ask<T>(
    answers: Map<number, (answer: T | undefined) => void>,
    request: (id: number) => TermRequest,
  ): Promise<T | undefined> {
    const worker = this.started();
    if (!worker) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const id = this.next++;
      answers.set(id, resolve);
      worker.postMessage(request(id));
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
    const worker = startWorker(this.path, this.options.index !== false);
    worker.unref();
    worker.on('message', (message: TermResponse) => {
      if ('index' in message) return this.logIndex(message.index);
      if ('indexed' in message) {
        this.waiting.get(message.id)?.(message.indexed);
        return void this.waiting.delete(message.id);
      }
      const computed = this.computing.get(message.id);
      if (computed) {
        this.computing.delete(message.id);
        if ('result' in message) return computed(message.result);
        if ('error' in message)
          this.log?.warn(
            { err: message.error },
            'search worker failed a result; computing it here',
          );
        return computed(undefined);
      }
      const waiting = this.pending.get(message.id);
      if (!waiting) return;
      this.pending.delete(message.id);
      if ('hits' in message) waiting.resolve(message.hits);
      else if ('error' in message) waiting.reject(new Error(message.error));
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
      for (const [id, resolve] of this.waiting) {
        this.waiting.delete(id);
        resolve(undefined);
      }
      for (const [id, resolve] of this.computing) {
        this.computing.delete(id);
        resolve(undefined);
      }
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`search worker exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }

  private logIndex(event: IndexEvent): void {
    if (event.event === 'built') this.log?.info(event, 'search term index built');
    else this.log?.warn(event, 'search term index not built; FTS5 answers');
  }
}

/** The compiled worker beside this module, or, running from the sources, its tsx bootstrap. */
function startWorker(path: string, index: boolean): Worker {
  const compiled = new URL('./term-worker.js', import.meta.url);
  const entry = existsSync(fileURLToPath(compiled))
    ? compiled
    : new URL('./term-worker-dev.mjs', import.meta.url);
  return new Worker(entry, { workerData: { path, index } });
}
