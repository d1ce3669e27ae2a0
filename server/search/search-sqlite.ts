/**
 * Search's reads on SQLite: today's statements (search-sql.ts), synchronous, a step inside one
 * better-sqlite3 transaction; term hits on the search worker thread (term-fetcher.ts), which
 * opens the database file read-only on its own connection and answers from its term index
 * (term-index-keeper.ts) or FTS5.
 */
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import type { TermQuery } from './fts-query.js';
import type { VersionRow } from './latest-version.js';
import {
  runSync,
  type CountRow,
  type DocRow,
  type GroupRow,
  type ItemRow,
  type SearchReader,
  type SearchRepository,
  type Step,
} from './search-repository.js';
import {
  CONTENT_VERSION_SQL,
  COUNTS_SQL,
  DOCS_SQL,
  GROUPS_SQL,
  INSTALLS_SQL,
  ITEMS_SQL,
  NAME_ORDER_SQL,
  STATS_VERSION_SQL,
  TEXT_VERSION_SQL,
  VERSIONS_SQL,
} from './search-sql.js';
import type { Result } from './result-compute.js';
import type { ComputeRequest } from './result-worker.js';
import { TermFetch, type RawTermHits } from './term-fetch.js';
import { TermFetcher } from './term-fetcher.js';

export interface SqliteSearchOptions {
  /** Read term hits on a worker thread (default true; never for an in-memory database). */
  worker?: boolean;
  /** Keep a term index in memory on the worker (default true; term-index-keeper.ts). */
  index?: boolean;
  log?: Logger;
}

export class SqliteSearchRepository implements SearchRepository, SearchReader {
  readonly dialect = 'sqlite';
  private readonly fetcher: TermFetcher;
  private readonly contentVersionOf: Database.Statement<[], number>;
  private readonly textVersionOf: Database.Statement<[], number>;
  private readonly statsVersionOf: Database.Statement<[], number>;
  private readonly docsOf: Database.Statement<[]>;
  private readonly nameOrderOf: Database.Statement<[], number>;
  private readonly installsOf: Database.Statement<[]>;
  private readonly groupsOf: Database.Statement<
    [],
    { kind: GroupRow['kind']; value: string; ids: string }
  >;
  private readonly itemsOf: Database.Statement<[string], ItemRow>;
  private readonly versionsOf: Database.Statement<[string], VersionRow & { appId: number }>;
  private readonly countsOf: Database.Statement<[string], CountRow>;
  /** Every statement of a step sees the same snapshot. */
  private readonly inTransaction: (step: (reader: SearchReader) => Step<unknown>) => unknown;

  constructor(sqlite: Database.Database, options: SqliteSearchOptions = {}) {
    const path = options.worker === false || sqlite.memory ? undefined : sqlite.name;
    this.fetcher = new TermFetcher(new TermFetch(sqlite), path, {
      log: options.log,
      ...(options.index === undefined ? {} : { index: options.index }),
    });
    this.contentVersionOf = sqlite.prepare<[], number>(CONTENT_VERSION_SQL).pluck();
    this.textVersionOf = sqlite.prepare<[], number>(TEXT_VERSION_SQL).pluck();
    this.statsVersionOf = sqlite.prepare<[], number>(STATS_VERSION_SQL).pluck();
    this.docsOf = sqlite.prepare(DOCS_SQL).raw();
    this.nameOrderOf = sqlite.prepare<[], number>(NAME_ORDER_SQL).pluck();
    this.installsOf = sqlite.prepare(INSTALLS_SQL).raw();
    this.groupsOf = sqlite.prepare(GROUPS_SQL);
    this.itemsOf = sqlite.prepare(ITEMS_SQL);
    this.versionsOf = sqlite.prepare(VERSIONS_SQL);
    this.countsOf = sqlite.prepare(COUNTS_SQL);
    this.inTransaction = sqlite.transaction((step: (reader: SearchReader) => Step<unknown>) =>
      runSync(step(this)),
    );
  }

  snapshot<T>(step: (reader: SearchReader) => Step<T>): T {
    return this.inTransaction(step) as T;
  }

  textVersion(): number {
    return this.textVersionOf.get() ?? 0;
  }

  termHits(q: TermQuery): Promise<RawTermHits> {
    return this.fetcher.fetch(q);
  }

  get workerRunning(): boolean {
    return this.fetcher.running;
  }

  computeResult(request: ComputeRequest): Promise<Result | undefined> {
    return this.fetcher.compute(request);
  }

  /** Resolves once the worker's term index is current (term-fetcher.ts); its text version, or undefined. */
  termIndexed(): Promise<number | undefined> {
    return this.fetcher.indexed();
  }

  async close(): Promise<void> {
    await this.fetcher.close();
  }

  isQueryError(err: unknown): boolean {
    return err instanceof Error && /fts5/i.test(err.message);
  }

  contentVersion(): number {
    return this.contentVersionOf.get() ?? 0;
  }

  statsVersion(): number {
    return this.statsVersionOf.get() ?? 0;
  }

  docs(): DocRow[] {
    return this.docsOf.all() as DocRow[];
  }

  nameOrder(): number[] {
    return this.nameOrderOf.all();
  }

  installs(): [number, number][] {
    return this.installsOf.all() as [number, number][];
  }

  groups(): GroupRow[] {
    return this.groupsOf
      .all()
      .map((row) => ({ kind: row.kind, value: row.value, ids: JSON.parse(row.ids) as number[] }));
  }

  items(ids: readonly number[]): ItemRow[] {
    return this.itemsOf.all(JSON.stringify(ids));
  }

  counts(ids: readonly number[]): CountRow[] {
    return this.countsOf.all(JSON.stringify(ids));
  }

  versions(ids: readonly number[]): (VersionRow & { appId: number })[] {
    return this.versionsOf.all(JSON.stringify(ids));
  }
}
