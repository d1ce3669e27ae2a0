/**
 * Orders a search's matches. Installs, updated, name and relevance without text are fixed
 * orders of the whole store (doc-table.ts), so ordering the matches is one pass keeping those
 * orders' matched slots. Relevance with text ranks by score = text × boost (ranking.ts) and only
 * the first `need` results are ordered: the rest of a broad match is never shown unless someone
 * pages that far, and then the order is extended.
 */
import type { DocTable } from './doc-table.js';
import type { Sort } from './ranking.js';
import { ReusedArray } from './reused-array.js';

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
  const isMatch = scratch.flags(table.size);
  for (let i = 0; i < matched.length; i++) isMatch[matched[i]!] = 1;
  const ordered = new Int32Array(matched.length);
  let n = 0;
  for (let i = 0; i < global.length; i++) if (isMatch[global[i]!] === 1) ordered[n++] = global[i]!;
  isMatch.fill(0, 0, table.size);
  return ordered;
}

function topByScore(
  table: DocTable,
  matched: Int32Array,
  text: Float64Array,
  k: number,
): Int32Array {
  const { boosts } = table;
  const score = scratch.scores(text.length);
  for (let i = 0; i < text.length; i++) score[i] = text[i]! * boosts[matched[i]!]!;
  let picked: number[];
  if (matched.length <= k) picked = Array.from(matched.keys());
  else {
    // The k-th best score, then only those at or above it. A selection, not a sort: sorting
    // 90,000 scores of a broad word at 100,000 apps took ~10 ms of the event loop.
    const threshold = kthLargest(score, k);
    picked = [];
    for (let i = 0; i < score.length; i++) if (score[i]! >= threshold) picked.push(i);
  }
  picked.sort((a, b) => score[b]! - score[a]! || table.newer(matched[a]!, matched[b]!));
  return Int32Array.from(picked, (i) => matched[i]!);
}

/** Arrays reused from call to call (orderMatches runs start to end without yielding). */
const flagArray = new ReusedArray((n) => new Uint8Array(n));
const scoreArray = new ReusedArray((n) => new Float64Array(n));
const scratch = {
  /** All zero, and to be left so. */
  flags: (size: number): Uint8Array => flagArray.atLeast(size),
  scores: (size: number): Float64Array => scoreArray.atLeast(size).subarray(0, size),
};

/**
 * The k-th largest of `values` (1 ≤ k ≤ length, duplicates counted): one pass keeping the k
 * largest in a min-heap, so most values cost one comparison with its root.
 */
export function kthLargest(values: ArrayLike<number>, k: number): number {
  const heap = new Float64Array(k);
  let size = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (size < k) {
      let c = size++;
      heap[c] = v;
      while (c > 0) {
        const p = (c - 1) >> 1;
        if (heap[p]! <= v) break;
        heap[c] = heap[p]!;
        heap[p] = v;
        c = p;
      }
    } else if (v > heap[0]!) {
      heap[0] = v;
      let p = 0;
      for (;;) {
        const l = 2 * p + 1;
        if (l >= k) break;
        const m = l + 1 < k && heap[l + 1]! < heap[l]! ? l + 1 : l;
        if (heap[m]! >= v) break;
        heap[p] = heap[m]!;
        heap[m] = v;
        p = m;
      }
    }
  }
  return heap[0]!;
}
