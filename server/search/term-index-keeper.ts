/**
 * Keeps the search worker's term index (term-index.ts) for the current text version. A term
 * is answered from the index only when the index is of the text version the worker's connection
 * sees now; otherwise FTS5 answers (so no answer ever depends on the index being up to date)
 * and a build of the current version starts, in slices on this thread (term-index-build.ts).
 *
 * Builds are spaced: the next starts no sooner than the last one took after it ended, so a
 * store whose texts change all the time spends at most half of this thread on builds, and is
 * answered by FTS5 in between. The stale index is dropped when a build starts: it can no longer
 * answer anything, and holding two would double the memory.
 */
import Database from 'better-sqlite3';
import { Unicode61 } from './fts-tokens.js';
import { fts5Probe, unicode61Arguments } from './fts5-probe.js';
import type { TermQuery } from './fts-query.js';
import type { RawTermHits } from './term-fetch.js';
import { buildTermIndex, type BuildOutcome } from './term-index-build.js';
import { TermIndex } from './term-index.js';

/** What the keeper tells the service's log. */
export type IndexEvent =
  | { event: 'built'; version: number; ms: number; bytes: number; terms: number }
  | { event: 'failed'; version: number; reason: string };

export class TermIndexKeeper {
  private index: TermIndex | undefined;
  private building: Promise<void> | undefined;
  private notBefore = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Set when the index cannot be built for this store at all (another tokenizer). */
  private readonly tokenizer: Unicode61 | undefined;
  private readonly probe: ReturnType<typeof fts5Probe> | undefined;
  private readonly db: Database.Database;
  /** The text version a build failed at: not tried again until the texts move. */
  private failedAt: number | undefined;

  constructor(
    path: string,
    private readonly textVersion: () => number,
    private readonly tell: (event: IndexEvent) => void,
  ) {
    this.db = new Database(path, { readonly: true, fileMustExist: true });
    this.db.pragma('busy_timeout = 5000');
    const sql = this.db
      .prepare<[], string>("SELECT sql FROM sqlite_master WHERE name = 'search_fts'")
      .pluck()
      .get();
    const args = sql === undefined ? undefined : unicode61Arguments(sql);
    if (args !== undefined) {
      this.probe = fts5Probe(args);
      this.tokenizer = new Unicode61(this.probe);
    }
  }

  /** The term's hits from the index when it is current and can answer; else undefined (FTS5's turn). */
  hits(q: TermQuery): RawTermHits | undefined {
    if (!this.tokenizer) return undefined;
    const current = this.textVersion();
    if (this.index?.version === current) return this.index.hits(q);
    this.schedule(current);
    return undefined;
  }

  /** Resolves once the index of the current text version is built: its version, or undefined when none can be. */
  async current(): Promise<number | undefined> {
    for (;;) {
      if (!this.tokenizer || this.closed) return undefined;
      const version = this.textVersion();
      if (this.index?.version === version) return version;
      if (this.failedAt === version) return undefined;
      if (!this.building) this.start();
      await this.building;
    }
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.index = undefined;
    this.probe?.close();
    if (!this.building) this.db.close();
  }

  private schedule(version: number): void {
    if (this.building || this.timer || this.failedAt === version) return;
    const wait = this.notBefore - performance.now();
    if (wait <= 0) return this.start();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.building && !this.closed) this.start();
    }, wait);
    this.timer.unref();
  }

  private start(): void {
    const tokenizer = this.tokenizer!;
    this.index = undefined;
    const began = performance.now();
    const version = this.textVersion();
    const steps = buildTermIndex(this.db, tokenizer);
    this.building = new Promise<BuildOutcome>((resolve) => {
      const slice = (): void => {
        try {
          if (this.closed) {
            steps.return({ failed: 'closed' });
            return resolve({ failed: 'closed' });
          }
          const next = steps.next();
          if (next.done) resolve(next.value);
          else setImmediate(slice);
        } catch (err) {
          resolve({ failed: err instanceof Error ? err.message : String(err) });
        }
      };
      slice();
    }).then((outcome) => {
      const ended = performance.now();
      this.building = undefined;
      this.notBefore = ended + (ended - began);
      if (this.closed) return void this.db.close();
      if ('parts' in outcome) {
        this.index = new TermIndex(outcome.parts, tokenizer, this.probe!.ln);
        this.failedAt = undefined;
        const { version, bytes, termCount } = this.index;
        this.tell({
          event: 'built',
          version,
          ms: Math.round(ended - began),
          bytes,
          terms: termCount,
        });
      } else {
        this.failedAt = version;
        this.tell({ event: 'failed', version, reason: outcome.failed });
      }
    });
  }
}
