/**
 * Facet counts in memory. Counting tags over thousands of matches in SQL (a join and a GROUP BY
 * per facet) costs 10-20 ms at 10,000 apps; here it is one pass over the matched slots for all
 * facets at once: each app slot maps to the numbers of all its values (of every facet, numbered
 * one after the other) in compressed rows, `start[slot]..start[slot + 1]` of one array. At
 * 100,000 apps a pass over all of them costs a few milliseconds, four passes (one per facet)
 * cost more than twice that.
 */
import { kthLargest } from './result-order.js';
import type { FacetCount } from './search-types.js';

/** One facet: its value names, and `members[v]`: the slots having value `names[v]`. */
export interface FacetValues {
  names: readonly string[];
  members: readonly ArrayLike<number>[];
}

export class Facets<K extends string> {
  private readonly start: Int32Array;
  private readonly values: Int32Array;
  /** Each facet's first value number (values are numbered facet after facet). */
  private readonly first = new Map<K, number>();
  private readonly names: string[] = [];

  constructor(facets: Record<K, FacetValues>, slots: number) {
    const cursor = new Int32Array(slots + 1);
    const all = Object.entries(facets) as [K, FacetValues][];
    for (const [key, { names, members }] of all) {
      this.first.set(key, this.names.length);
      this.names.push(...names);
      for (const list of members) for (let i = 0; i < list.length; i++) cursor[list[i]! + 1]! += 1;
    }
    for (let s = 1; s <= slots; s++) cursor[s]! += cursor[s - 1]!;
    this.start = cursor.slice();
    this.values = new Int32Array(cursor[slots]!);
    for (const [key, { members }] of all) {
      const offset = this.first.get(key)!;
      members.forEach((list, value) => {
        for (let i = 0; i < list.length; i++) this.values[cursor[list[i]!]!++] = offset + value;
      });
    }
  }

  /** Every facet's values among `slots`, most frequent first, then by value; at most `limit` each. */
  top(slots: ArrayLike<number>, limit: number): Record<K, FacetCount[]> {
    const counts = new Int32Array(this.names.length);
    const { start, values } = this;
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i]!;
      for (let k = start[slot]!, end = start[slot + 1]!; k < end; k++) counts[values[k]!]! += 1;
    }
    const keys = [...this.first.keys()];
    const out = {} as Record<K, FacetCount[]>;
    keys.forEach((key, i) => {
      const from = this.first.get(key)!;
      const to = i + 1 < keys.length ? this.first.get(keys[i + 1]!)! : this.names.length;
      out[key] = this.best(counts.subarray(from, to), from, limit);
    });
    return out;
  }

  /** The `limit` largest counts (ties by value), without sorting the thousands of publishers. */
  private best(counts: Int32Array, from: number, limit: number): FacetCount[] {
    const floor = counts.length > limit ? Math.max(1, kthLargest(counts, limit)) : 1;
    const out: FacetCount[] = [];
    counts.forEach((count, value) => {
      if (count >= floor) out.push({ value: this.names[from + value]!, count });
    });
    out.sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
    return out.slice(0, limit);
  }
}
