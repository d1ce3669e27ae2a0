/**
 * Every SQL statement of search. They read the tables the `search` migration keeps in step
 * with the store (search_fts, search_docs, search_tags, search_meta); only the page's items are
 * read from `apps` and `versions`.
 */
import { COLUMN_WEIGHTS } from './ranking.js';

/** Bumped by the migration's triggers on every change that can change matches or facets. */
export const CONTENT_VERSION_SQL = 'SELECT version FROM search_meta WHERE id = 1';

/** Moves with every change of the statistics (installs, visits, pulls). */
export const STATS_VERSION_SQL = 'SELECT stats_version FROM search_meta WHERE id = 1';

/** Every app, in id order: what filters and sorts need (raw rows). */
export const DOCS_SQL =
  'SELECT app_id, shelf, namespace, updated_at, installs FROM search_docs ORDER BY app_id';

/** App ids in name order (display name, else name; case-insensitive). */
export const NAME_ORDER_SQL = 'SELECT app_id FROM search_docs ORDER BY sort_name, namespace, name';

/** Installs only, for the periodic refresh of popularity (raw rows, id order). */
export const INSTALLS_SQL = 'SELECT app_id, installs FROM search_docs ORDER BY app_id';

/**
 * One row per tag, category and arch value with the JSON array of its apps' ids. Values group
 * case-insensitively (the column is NOCASE); the lower-case spelling names the group.
 */
export const GROUPS_SQL = `SELECT kind, max(value COLLATE BINARY) AS value, json_group_array(app_id) AS ids
FROM search_tags GROUP BY kind, value`;

/** Moves with every change of search_fts: term hits are valid while it stands still. */
export const TEXT_VERSION_SQL = 'SELECT text_version FROM search_meta WHERE id = 1';

/**
 * One term's hits as two JSON arrays in rowid (= app id) order: ids and text scores (−bm25 with
 * the column weights, so higher is better). The ORDER BY also keeps the subquery from being
 * flattened, which bm25() does not allow.
 */
export const TERM_HITS_SQL = `SELECT json_group_array(id) AS ids, json_group_array(score) AS scores
FROM (SELECT rowid AS id, -bm25(search_fts, ${Object.values(COLUMN_WEIGHTS).join(', ')}) AS score
  FROM search_fts WHERE search_fts MATCH ? ORDER BY rowid)`;

/** The ids (ascending, one JSON array) a term, or a column-filtered term, matches. */
export const IDS_SQL =
  'SELECT json_group_array(rowid) FROM (SELECT rowid FROM search_fts WHERE search_fts MATCH ? ORDER BY rowid)';

/** How many apps a term matches, and how many there are (bm25's n and N). */
export const TERM_COUNT_SQL =
  'SELECT (SELECT count(*) FROM search_fts WHERE search_fts MATCH ?) AS n, (SELECT count(*) FROM search_docs) AS total';

/** What the page's items show of their apps, by a JSON array of app ids (in no particular order). */
export const ITEMS_SQL = `SELECT a.id, a.namespace, a.name, a.display_name AS displayName, a.summary, d.tags, d.logo,
  d.updated_at AS updatedAt
FROM search_docs d JOIN apps a ON a.id = d.app_id WHERE d.app_id IN (SELECT value FROM json_each(?))`;

/** The page's items' counts, read fresh for every page. */
export const COUNTS_SQL =
  'SELECT app_id AS id, installs, visits FROM search_docs WHERE app_id IN (SELECT value FROM json_each(?))';

/**
 * The versions of the page's apps, by a JSON array of app ids. Only columns of the
 * (app_id, version) index: the rows themselves carry whole templates. The id stands for the
 * creation order (ids only grow; a re-pushed version keeps its row).
 */
export const VERSIONS_SQL =
  'SELECT app_id AS appId, version, id AS created FROM versions WHERE app_id IN (SELECT value FROM json_each(?))';
