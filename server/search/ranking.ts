/**
 * How results are ordered. Relevance blends text rank, freshness and popularity:
 *
 *   score      = text × boost                      (empty q: score = boost)
 *   text       = −bm25(search_fts, 10, 6, 3, 1, 2, 2, 2) × field
 *                 columns: name, display name, summary, introduction, tags, publisher,
 *                 components (their names and image references);
 *                 FTS5's bm25 is negative, lower is better, so text > 0 and higher is better
 *   field      = 3 when a query term matches the name, else 2 when one matches the display
 *                 name, else 1. FTS5 applies column weights to term frequencies before BM25's
 *                 saturation (k1 = 1.2), which flattens them (a name hit scores only ~1.1× a
 *                 display-name hit); the field factor restores "name first". Column-filtered
 *                 matches (`name : "term"`) tell which columns a term matched.
 *   boost      = 1 + 0.25 × freshness + 0.5 × popularity          ∈ [1, 1.75]
 *   freshness  = 0.5 ^ (days since updated_at / 30)                ∈ (0, 1]  (30-day half-life)
 *   popularity = min(1, log10(1 + installs) / 4)                   ∈ [0, 1]  (10,000 installs = 1)
 *
 * The boost multiplies, so it does not depend on the scale of bm25 (which varies with the
 * rarity of the query's terms), and text dominates: a fresh, much-installed app whose
 * introduction mentions the word never outranks one named after it, but among comparable text
 * matches the fresher and more installed one comes first. Ties fall to the newer update, then id.
 *
 * FTS5's bm25 of a query is the sum of the bm25 of its terms (each term is one phrase), so the
 * service scores each term once (term-hits.ts) and adds them up for any query that uses it.
 * Other sorts: installs (most first), updated (newest first), name (display name, else name,
 * case-insensitive); ties as above.
 */

export const SORTS = ['relevance', 'installs', 'updated', 'name'] as const;
export type Sort = (typeof SORTS)[number];

/** bm25 column weights, in search_fts column order. */
export const COLUMN_WEIGHTS = {
  name: 10,
  displayName: 6,
  summary: 3,
  introduction: 1,
  tags: 2,
  publisher: 2,
  components: 2,
} as const;

export const FRESHNESS_WEIGHT = 0.25;
export const FRESHNESS_HALF_LIFE_DAYS = 30;
export const POPULARITY_WEIGHT = 0.5;
export const POPULARITY_SATURATION_LOG10 = 4;

const DAY_MS = 86_400_000;

/** The field factor of a hit: the best column a query term matched in. */
export const FIELD_FACTORS = { name: 3, displayName: 2 } as const;

/** `boost` of an app, at `now` (ms since the epoch). */
export function boost(updatedAt: number, installs: number, now: number): number {
  const freshness = 0.5 ** (Math.max(0, now - updatedAt) / DAY_MS / FRESHNESS_HALF_LIFE_DAYS);
  const popularity = Math.min(
    1,
    Math.log10(1 + Math.max(0, installs)) / POPULARITY_SATURATION_LOG10,
  );
  return 1 + FRESHNESS_WEIGHT * freshness + POPULARITY_WEIGHT * popularity;
}
