/**
 * Facet counts in memory. Counting tags over thousands of matches in SQL (a join and a GROUP BY
 * per facet) costs 10-20 ms at 10,000 apps; here it is one pass over the matched slots, about
 * 0.2 ms. A facet maps each app slot to the numbers of its values in compressed rows:
 * `start[slot]..start[slot + 1]` index one array of value numbers.
 */
import type { FacetCount } from './search-types.js';

export class Facet {
  private readonly start: Int32Array;
  private readonly values: Int32Array;

  /** `members[v]`: the slots having value `names[v]`. */
  constructor(
    private readonly names: readonly string[],
    members: readonly ArrayLike<number>[],
    slots: number,
  ) {
    const cursor = new Int32Array(slots + 1);
    for (const list of members) for (let i = 0; i < list.length; i++) cursor[list[i]! + 1]! += 1;
    for (let s = 1; s <= slots; s++) cursor[s]! += cursor[s - 1]!;
    this.start = cursor.slice();
    this.values = new Int32Array(cursor[slots]!);
    members.forEach((list, value) => {
      for (let i = 0; i < list.length; i++) this.values[cursor[list[i]!]!++] = value;
    });
  }

  /** This facet's values among `slots`, most frequent first, then by value; at most `limit`. */
  top(slots: ArrayLike<number>, limit: number): FacetCount[] {
    const counts = new Int32Array(this.names.length);
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i]!;
      for (let k = this.start[slot]!; k < this.start[slot + 1]!; k++) counts[this.values[k]!]! += 1;
    }
    const out: FacetCount[] = [];
    counts.forEach((count, value) => {
      if (count > 0) out.push({ value: this.names[value]!, count });
    });
    out.sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
    return out.slice(0, limit);
  }
}
