/**
 * What search reads from the store, on either engine (docs/decisions/0003, package I). The
 * service's steps are written once, as generators that yield each read (search-steps.ts): on
 * SQLite the reads are synchronous and a step runs inside one better-sqlite3 transaction, as it
 * always did (no extra tick, the same statements); on PostgreSQL the same step awaits each read
 * inside one REPEATABLE READ transaction, so every read of a step sees one snapshot there too.
 */
import type { StoreDatabase } from '../db/store-database.js';
import type { TermQuery } from './fts-query.js';
import type { VersionRow } from './latest-version.js';
import type { Result } from './result-compute.js';
import type { ComputeRequest } from './result-worker.js';
import type { RawTermHits } from './term-fetch.js';

export type MaybePromise<T> = T | Promise<T>;

/** `[app id, on the shelf, namespace, updated at, installs]`, as read raw. */
export type DocRow = [number, number | boolean, string, number, number];

export interface GroupRow {
  kind: 'tag' | 'category' | 'arch';
  value: string;
  /** The group's app ids, in no particular order. */
  ids: number[];
}

export interface ItemRow {
  id: number;
  namespace: string;
  name: string;
  displayName: string;
  summary: string;
  tags: string;
  logo: number | boolean;
  updatedAt: number;
}

export interface CountRow {
  id: number;
  installs: number;
  visits: number;
}

/** The reads of one step; on SQLite each returns its value, on PostgreSQL a promise of it. */
export interface SearchReader {
  contentVersion(): MaybePromise<number>;
  statsVersion(): MaybePromise<number>;
  /** Every app, in id order. */
  docs(): MaybePromise<DocRow[]>;
  /** App ids in name order. */
  nameOrder(): MaybePromise<number[]>;
  /** `[app id, installs]`, id order. */
  installs(): MaybePromise<[number, number][]>;
  groups(): MaybePromise<GroupRow[]>;
  items(ids: readonly number[]): MaybePromise<ItemRow[]>;
  counts(ids: readonly number[]): MaybePromise<CountRow[]>;
  versions(ids: readonly number[]): MaybePromise<(VersionRow & { appId: number })[]>;
}

/** A step: yields each read's value (maybe a promise), is given it back settled. */
export type Step<T> = Generator<unknown, T, unknown>;

/** One read inside a step: `const docs = yield* read(r.docs())`. */
export function* read<T>(value: MaybePromise<T>): Generator<MaybePromise<T>, T, unknown> {
  return (yield value) as T;
}

/** Runs a step whose reads are all synchronous (SQLite). */
export function runSync<T>(step: Step<T>): T {
  let next = step.next();
  while (!next.done) {
    if (next.value instanceof Promise) throw new Error('a synchronous step was given a promise');
    next = step.next(next.value);
  }
  return next.value;
}

/** Runs a step, awaiting each read (PostgreSQL). */
export async function runAsync<T>(step: Step<T>): Promise<T> {
  let next = step.next();
  while (!next.done) next = step.next(await next.value);
  return next.value;
}

export interface SearchRepository {
  readonly dialect: StoreDatabase['dialect'];
  /** Runs a step with reads from one snapshot. */
  snapshot<T>(step: (reader: SearchReader) => Step<T>): MaybePromise<T>;
  /** Moves with every change of the searched texts: term hits are valid while it stands still. */
  textVersion(): MaybePromise<number>;
  /** One term's hits (term-fetch.ts). */
  termHits(q: TermQuery): Promise<RawTermHits>;
  /**
   * An uncached result computed off the event loop (SQLite's search worker), or undefined: the
   * service computes it (PostgreSQL has none).
   */
  computeResult?(request: ComputeRequest): Promise<Result | undefined>;
  /** Whether a search worker thread is running (SQLite only). */
  readonly workerRunning: boolean;
  close(): Promise<void>;
  /** Whether an error is the engine refusing a search expression (answered as 400, not 500). */
  isQueryError(err: unknown): boolean;
}
