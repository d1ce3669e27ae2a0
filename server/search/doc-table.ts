/**
 * The store as search sees it, in memory, for one content version: per app (a slot, in app id
 * order) whether it is on the shelf, its namespace, update time, installs, its tags,
 * categories and architectures, and the name order. Filters, facets and the non-text sorts
 * run here over typed arrays, at well under a millisecond for 10,000 apps, where SQL spends
 * milliseconds on joins and GROUP BYs. Loading it costs ~15 ms at 10,000 apps, once per change
 * of the content version; installs are refreshed on their own (refreshStats), and each app's
 * relevance boost (ranking.ts) is computed with them, so ranking reads it from an array.
 */
import { Facets } from './facet-index.js';
import { boost } from './ranking.js';
import { read, type SearchReader, type Step } from './search-repository.js';
import type { SearchResult, ShownItem } from './search-types.js';

export interface Filters {
  /** A signed-in viewer also sees their own namespace's apps, on the shelf or not. */
  viewer?: string | undefined;
  publisher?: string | undefined;
  tags: readonly string[];
  categories: readonly string[];
  arch?: string | undefined;
}

type Kind = 'tag' | 'category' | 'arch';
type GlobalSort = 'installs' | 'updated' | 'relevance';

/** SQLite's NOCASE folds ASCII letters only; so does this, to match what the index groups. */
export function foldCase(value: string): string {
  return value.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

export class DocTable {
  private readonly orders = new Map<GlobalSort, Int32Array>();
  /** Each app's boost (ranking.ts) as of `statsAt`. */
  readonly boosts: Float64Array;
  /** What items show of apps already shown, for this content version (result-items.ts). */
  readonly items = new Map<number, ShownItem>();
  /** The statistics version (search_meta) the installs were read at. */
  statsVersion = 0;

  private constructor(
    readonly version: number,
    readonly appIds: Int32Array,
    private readonly slotTable: Int32Array,
    private readonly shelf: Uint8Array,
    private readonly namespaceOf: Int32Array,
    private readonly namespaces: ReadonlyMap<string, number>,
    readonly updatedAt: Float64Array,
    readonly installs: Float64Array,
    /** Slots in name order. */
    readonly nameOrder: Int32Array,
    /** `kind:folded value` → its slots. */
    private readonly members: ReadonlyMap<string, Int32Array>,
    private readonly facets: Facets<keyof SearchResult['facets']>,
    public statsAt: number,
  ) {
    this.boosts = new Float64Array(appIds.length);
    this.rank(statsAt);
  }

  static *load(reader: SearchReader, version: number, now: number): Step<DocTable> {
    const docs = yield* read(reader.docs());
    const n = docs.length;
    const slotTable = new Int32Array((docs[n - 1]?.[0] ?? 0) + 1).fill(-1);
    const appIds = new Int32Array(n);
    const shelf = new Uint8Array(n);
    const namespaceOf = new Int32Array(n);
    const updatedAt = new Float64Array(n);
    const installs = new Float64Array(n);
    const namespaces = new Map<string, number>();
    const publishers: number[][] = [];
    docs.forEach(([id, onShelf, namespace, updated, installed], slot) => {
      slotTable[id] = slot;
      appIds[slot] = id;
      shelf[slot] = onShelf ? 1 : 0;
      let ns = namespaces.get(namespace);
      if (ns === undefined) namespaces.set(namespace, (ns = namespaces.size));
      namespaceOf[slot] = ns;
      (publishers[ns] ??= []).push(slot);
      updatedAt[slot] = updated;
      installs[slot] = installed;
    });
    const slotOf = (id: number): number => (id >= 0 && id < slotTable.length ? slotTable[id]! : -1);
    const nameOrder = Int32Array.from(yield* read(reader.nameOrder()), slotOf);

    const members = new Map<string, Int32Array>();
    const grouped: Record<Kind, { names: string[]; lists: Int32Array[] }> = {
      tag: { names: [], lists: [] },
      category: { names: [], lists: [] },
      arch: { names: [], lists: [] },
    };
    for (const row of yield* read(reader.groups())) {
      const slots = Int32Array.from(row.ids, slotOf)
        .filter((s) => s >= 0)
        .sort();
      members.set(`${row.kind}:${foldCase(row.value)}`, slots);
      grouped[row.kind]?.names.push(row.value);
      grouped[row.kind]?.lists.push(slots);
    }
    const facets = new Facets(
      {
        tags: { names: grouped.tag.names, members: grouped.tag.lists },
        categories: { names: grouped.category.names, members: grouped.category.lists },
        publishers: { names: [...namespaces.keys()], members: publishers },
        architectures: { names: grouped.arch.names, members: grouped.arch.lists },
      },
      n,
    );
    return new DocTable(
      version,
      appIds,
      slotTable,
      shelf,
      namespaceOf,
      namespaces,
      updatedAt,
      installs,
      nameOrder,
      members,
      facets,
      now,
    );
  }

  get size(): number {
    return this.appIds.length;
  }

  slotOf(id: number): number {
    return id >= 0 && id < this.slotTable.length ? this.slotTable[id]! : -1;
  }

  /** Re-reads the installs (statistics do not move the content version) and recomputes the boosts. */
  *refreshStats(reader: SearchReader, now: number): Step<void> {
    for (const [id, installed] of yield* read(reader.installs())) {
      const slot = this.slotOf(id);
      if (slot >= 0) this.installs[slot] = installed;
    }
    this.rank(now);
  }

  private rank(now: number): void {
    for (let slot = 0; slot < this.size; slot++)
      this.boosts[slot] = boost(this.updatedAt[slot]!, this.installs[slot]!, now);
    this.orders.delete('installs');
    this.orders.delete('relevance');
    this.statsAt = now;
  }

  /**
   * The slots visibility and the filters let through, as a mask (1: passes); undefined when no
   * app can pass (an unknown value). One pass over the slots, so the search's own pass over its
   * matches is one array read per match; the mask of no filters (the most asked) is kept.
   */
  accepts(f: Filters): Uint8Array | undefined {
    const viewer = f.viewer === undefined ? -1 : (this.namespaces.get(f.viewer) ?? -1);
    const publisher = f.publisher === undefined ? -1 : this.namespaces.get(f.publisher);
    if (publisher === undefined) return undefined;
    const lists: Int32Array[] = [];
    for (const [kind, values] of [
      ['tag', f.tags],
      ['category', f.categories],
      ['arch', f.arch === undefined ? [] : [f.arch]],
    ] as const) {
      for (const value of values) {
        const list = this.members.get(`${kind}:${foldCase(value)}`);
        if (!list) return undefined;
        lists.push(list);
      }
    }
    const { shelf, namespaceOf, size } = this;
    const plain = viewer < 0 && publisher < 0 && lists.length === 0;
    if (plain) return shelf;
    const mask = new Uint8Array(size);
    if (lists.length === 0) mask.fill(1);
    else {
      // Slots in every list: counted up, kept where the count is the number of lists.
      const counts = new Uint16Array(size);
      for (const list of lists) for (let i = 0; i < list.length; i++) counts[list[i]!]! += 1;
      for (let s = 0; s < size; s++) mask[s] = counts[s] === lists.length ? 1 : 0;
    }
    for (let s = 0; s < size; s++) {
      if (mask[s] === 0) continue;
      const ns = namespaceOf[s]!;
      if ((shelf[s] !== 1 && ns !== viewer) || (publisher >= 0 && ns !== publisher)) mask[s] = 0;
    }
    return mask;
  }

  /**
   * All slots by installs (most first), update time (newest first) or boost (relevance without
   * text); ties: the newer update, then the higher id.
   */
  order(sort: GlobalSort): Int32Array {
    let order = this.orders.get(sort);
    if (!order) {
      const { installs, updatedAt, appIds, boosts } = this;
      const byUpdate = (a: number, b: number): number =>
        updatedAt[b]! - updatedAt[a]! || appIds[b]! - appIds[a]!;
      const key = sort === 'installs' ? installs : sort === 'relevance' ? boosts : undefined;
      order = Int32Array.from({ length: this.size }, (_, i) => i).sort(
        key ? (a, b) => key[b]! - key[a]! || byUpdate(a, b) : byUpdate,
      );
      this.orders.set(sort, order);
    }
    return order;
  }

  /** Newer update first, then higher id. */
  newer(a: number, b: number): number {
    return this.updatedAt[b]! - this.updatedAt[a]! || this.appIds[b]! - this.appIds[a]!;
  }

  facetCounts(slots: ArrayLike<number>, limit: number): SearchResult['facets'] {
    return this.facets.top(slots, limit);
  }
}
