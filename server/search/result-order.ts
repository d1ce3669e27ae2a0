/**
 * Orders a search's matches. Installs, updated, name and relevance without text are fixed
 * orders of the whole store (doc-table.ts), so ordering the matches is one pass keeping those
 * orders' matched slots. Relevance with text ranks by score = text × boost (ranking.ts) and only
 * the first `need` results are ordered: the rest of a broad match is never shown unless someone
 * pages that far, and then the order is extended.
 */
import type { DocTable } from './doc-table.js';
import type { Sort } from './ranking.js';

/** The least number of results ordered at once for a text query (10 pages of 20). */
export const MIN_ORDERED = 200;

/**
 * `matched`: slots (ascending); `text`: their text scores, or undefined without q. Returns
 * the ordered slots: all of them, or at least `need` when ordered by text score.
 */
export function orderMatches(
  table: DocTable,
  sort: Sort,
  matched: Int32Array,
  text: Float64Array | undefined,
  need: number,
): Int32Array {
  if (sort === 'relevance' && text)
    return topByScore(table, matched, text, Math.max(need, MIN_ORDERED));
  const global = sort === 'name' ? table.nameOrder : table.order(sort);
  if (matched.length === table.size) return global;
  const isMatch = new Uint8Array(table.size);
  for (const slot of matched) isMatch[slot] = 1;
  return global.filter((slot) => isMatch[slot] === 1);
}

function topByScore(
  table: DocTable,
  matched: Int32Array,
  text: Float64Array,
  k: number,
): Int32Array {
  const score = text.map((t, i) => t * table.boosts[matched[i]!]!);
  let picked: number[];
  if (matched.length <= k) picked = Array.from(matched.keys());
  else {
    // The k-th best score, by the engine's native numeric sort; then only those at or above it.
    const threshold = score.slice().sort()[matched.length - k]!;
    picked = [];
    for (let i = 0; i < score.length; i++) if (score[i]! >= threshold) picked.push(i);
  }
  picked.sort((a, b) => score[b]! - score[a]! || table.newer(matched[a]!, matched[b]!));
  return Int32Array.from(picked, (i) => matched[i]!);
}
