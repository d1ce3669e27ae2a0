/**
 * Search's reads on PostgreSQL (docs/decisions/0003, "Search ranking: FTS5 bm25 → PostgreSQL").
 * The tables are the twins of SQLite's (migrations-pg/0001_search, 0006_search_components);
 * the service's logic (filters, facets, orders, ranking.ts) is the same code on both engines.
 * Only the matching and the per-term text score differ:
 *
 * - a term is `to_tsquery('appshelf_search', '''term'':*')` (prefix) or `'term'` (whole word),
 *   the column filters are weight restrictions (`:*A` name; display name is weight B with the
 *   components, so it is re-checked on display_name itself), through the GIN index;
 * - the text score is ts_rank_cd with the weights D, C, B, A = 0.1, 0.3, 0.6, 1.0 and
 *   normalization 1 (÷ 1 + log length, for bm25's length normalisation), times BM25's idf from
 *   the term count, which ts_rank_cd lacks; the broad-term rule (term-fetch.ts) is the same;
 * - no per-hit cap: ts_rank_cd reads the stored tsvector, so a common word is scored as any
 *   other (SQLite's BM25_MAX_HITS is there because bm25() reads every hit's column sizes).
 *
 * Known differences from FTS5 (tokens, weight classes, scores): docs/decisions/0003, package I.
 *
 * A step runs in one REPEATABLE READ, READ ONLY transaction on one pooled connection, so its
 * reads see one snapshot, as a better-sqlite3 transaction's do. No worker: the query already
 * runs off the event loop, in PostgreSQL.
 */
import type pg from 'pg';
import { int8AsNumber } from '../../registry/metadata/pg-module.js';
import type { TermQuery } from './fts-query.js';
import type { VersionRow } from './latest-version.js';
import {
  runAsync,
  type CountRow,
  type DocRow,
  type GroupRow,
  type ItemRow,
  type SearchReader,
  type SearchRepository,
  type Step,
} from './search-repository.js';
import { termHits, type RawTermHits, type TermSource } from './term-fetch.js';

/** The statements, named so each connection plans them once. */
const SQL = {
  contentVersion: 'SELECT version FROM search_meta WHERE id = 1',
  statsVersion: 'SELECT stats_version FROM search_meta WHERE id = 1',
  textVersion: 'SELECT text_version FROM search_meta WHERE id = 1',
  docs: 'SELECT app_id, shelf, namespace, updated_at, installs FROM search_docs ORDER BY app_id',
  nameOrder: 'SELECT app_id FROM search_docs ORDER BY sort_name, namespace, name',
  installs: 'SELECT app_id, installs FROM search_docs ORDER BY app_id',
  // search_tags.value is COLLATE nocase (nondeterministic): groups fold case as on SQLite.
  groups: `SELECT kind, max(value COLLATE "C") AS value, array_agg(app_id) AS ids
    FROM search_tags GROUP BY kind, value`,
  items: `SELECT a.id, a.namespace, a.name, a.display_name AS "displayName", a.summary, d.tags, d.logo,
    d.updated_at AS "updatedAt"
    FROM search_docs d JOIN apps a ON a.id = d.app_id WHERE d.app_id = ANY($1::int[])`,
  counts: 'SELECT app_id AS id, installs, visits FROM search_docs WHERE app_id = ANY($1::int[])',
  versions: `SELECT app_id AS "appId", version, id AS created FROM versions
    WHERE app_id = ANY($1::int[])`,
  termCount: `SELECT (SELECT count(*) FROM search_fts WHERE document @@ to_tsquery('appshelf_search', $1)) AS n,
    (SELECT count(*) FROM search_docs) AS total`,
  termIds: `SELECT coalesce(array_agg(app_id ORDER BY app_id), '{}') AS ids FROM search_fts
    WHERE document @@ to_tsquery('appshelf_search', $1)`,
  // Display name shares weight B with the components: the tsvector narrows, the column decides.
  displayIds: `SELECT coalesce(array_agg(app_id ORDER BY app_id), '{}') AS ids FROM search_fts
    WHERE document @@ to_tsquery('appshelf_search', $1)
    AND to_tsvector('appshelf_search', appshelf_search_text(display_name)) @@ to_tsquery('appshelf_search', $2)`,
  termScores: `SELECT coalesce(array_agg(app_id ORDER BY app_id), '{}') AS ids,
    coalesce(array_agg(ts_rank_cd('{0.1, 0.3, 0.6, 1.0}', document, q, 1) ORDER BY app_id), '{}') AS scores
    FROM search_fts, to_tsquery('appshelf_search', $1) q WHERE document @@ q`,
} as const;

type Statement = keyof typeof SQL;

/** The tsvector weight standing for each FTS5 column a term is filtered to. */
const WEIGHTS: Record<string, string> = {
  name: 'A',
  display_name: 'B',
  components: 'B',
  summary: 'C',
  tags: 'C',
  publisher: 'C',
  introduction: 'D',
};

/**
 * The tsquery text of a term: quoted, so the parser takes it as one word (or a phrase of the
 * words it cuts it into); terms are letters, marks and digits only (fts-query.ts), but any quote
 * or backslash is escaped anyway.
 */
export function tsQuery(q: TermQuery, weight = ''): string {
  const quoted = `'${q.term.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
  const flags = `${q.prefix ? '*' : ''}${weight}`;
  return flags === '' ? quoted : `${quoted}:${flags}`;
}

type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

class PgReads implements SearchReader, TermSource {
  /** Tags, publisher and summary are one weight class here (C, weighed as the summary). */
  readonly broadColumns = [
    ['components', 2],
    ['summary', 3],
  ] as const;
  readonly maxScoredHits = Infinity;

  constructor(private readonly on: Queryable) {}

  async rows<T>(statement: Statement, values: unknown[] = [], array = false): Promise<T[]> {
    const result = await this.on.query({
      name: `search_${statement}${array ? '_raw' : ''}`,
      text: SQL[statement],
      values,
      types: int8AsNumber(),
      ...(array ? { rowMode: 'array' } : {}),
    });
    return result.rows as T[];
  }

  private async value(statement: Statement): Promise<number> {
    const [row] = await this.rows<[number]>(statement, [], true);
    return row?.[0] ?? 0;
  }

  contentVersion(): Promise<number> {
    return this.value('contentVersion');
  }

  statsVersion(): Promise<number> {
    return this.value('statsVersion');
  }

  textVersion(): Promise<number> {
    return this.value('textVersion');
  }

  docs(): Promise<DocRow[]> {
    return this.rows<DocRow>('docs', [], true);
  }

  async nameOrder(): Promise<number[]> {
    return (await this.rows<[number]>('nameOrder', [], true)).map((r) => r[0]);
  }

  installs(): Promise<[number, number][]> {
    return this.rows<[number, number]>('installs', [], true);
  }

  groups(): Promise<GroupRow[]> {
    return this.rows<GroupRow>('groups');
  }

  items(ids: readonly number[]): Promise<ItemRow[]> {
    return this.rows<ItemRow>('items', [ids]);
  }

  counts(ids: readonly number[]): Promise<CountRow[]> {
    return this.rows<CountRow>('counts', [ids]);
  }

  versions(ids: readonly number[]): Promise<(VersionRow & { appId: number })[]> {
    return this.rows<VersionRow & { appId: number }>('versions', [ids]);
  }

  async count(q: TermQuery): Promise<{ n: number; total: number }> {
    const [row] = await this.rows<{ n: number; total: number }>('termCount', [tsQuery(q)]);
    return row ?? { n: 0, total: 0 };
  }

  async ids(q: TermQuery, column?: string): Promise<Int32Array> {
    const weight = column === undefined ? '' : (WEIGHTS[column] ?? '');
    const [row] =
      column === 'display_name'
        ? await this.rows<{ ids: number[] }>('displayIds', [tsQuery(q, weight), tsQuery(q)])
        : await this.rows<{ ids: number[] }>('termIds', [tsQuery(q, weight)]);
    return Int32Array.from(row?.ids ?? []);
  }

  /** ts_rank_cd has no idf: BM25's is multiplied in, so rare words weigh more, as in bm25. */
  async scored(q: TermQuery, idf: number): Promise<{ ids: Int32Array; scores: Float64Array }> {
    const [row] = await this.rows<{ ids: number[]; scores: number[] }>('termScores', [tsQuery(q)]);
    return {
      ids: Int32Array.from(row?.ids ?? []),
      scores: Float64Array.from(row?.scores ?? [], (s) => s * idf),
    };
  }
}

export class PgSearchRepository implements SearchRepository {
  readonly dialect = 'postgres';
  readonly workerRunning = false;

  constructor(private readonly pool: pg.Pool) {}

  snapshot<T>(step: (reader: SearchReader) => Step<T>): Promise<T> {
    return this.inSnapshot((reads) => runAsync(step(reads)));
  }

  textVersion(): Promise<number> {
    return new PgReads(this.pool).textVersion();
  }

  termHits(q: TermQuery): Promise<RawTermHits> {
    return this.inSnapshot((reads) => runAsync(termHits(reads, q)));
  }

  async close(): Promise<void> {}

  /** tsquery syntax errors (22P02 and friends, "syntax error in tsquery"). */
  isQueryError(err: unknown): boolean {
    return err instanceof Error && /tsquery/i.test(err.message);
  }

  private async inSnapshot<T>(work: (reads: PgReads) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const result = await work(new PgReads(client));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }
}
