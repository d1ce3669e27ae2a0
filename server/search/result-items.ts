/**
 * The items of a result page. What an item shows of its app (names, summary, tags, logo, update
 * time, latest version) only changes with the content version, so it is kept per doc table;
 * the counts (installs, visits) are read fresh for every page, from the narrow search_docs.
 */
import type { DocTable } from './doc-table.js';
import { latestVersion, type VersionRow } from './latest-version.js';
import { read, type SearchReader, type Step } from './search-repository.js';
import type { SearchItem } from './search-types.js';

/** Reads through a step's reader: the page's counts every time, what items show once per doc table. */
export class ResultItems {
  /** Items for app ids, in that order (an id no longer in the store is left out). */
  *read(reader: SearchReader, table: DocTable, ids: readonly number[]): Step<SearchItem[]> {
    if (ids.length === 0) return [];
    const unknown = ids.filter((id) => !table.items.has(id));
    if (unknown.length > 0) yield* this.learn(reader, table, unknown);
    const counts = new Map((yield* read(reader.counts(ids))).map((r) => [r.id, r]));
    return ids.flatMap((id) => {
      const shown = table.items.get(id);
      const count = counts.get(id);
      return shown && count ? [{ ...shown, installs: count.installs, visits: count.visits }] : [];
    });
  }

  /** Reads what items show of these apps, and their latest versions, into the table. */
  private *learn(reader: SearchReader, table: DocTable, ids: readonly number[]): Step<void> {
    const versions = new Map<number, VersionRow[]>(ids.map((id) => [id, []]));
    for (const v of yield* read(reader.versions(ids))) versions.get(v.appId)?.push(v);
    for (const r of yield* read(reader.items(ids))) {
      table.items.set(r.id, {
        namespace: r.namespace,
        name: r.name,
        displayName: r.displayName,
        summary: r.summary,
        tags: parseTags(r.tags),
        logo: r.logo
          ? `/api/v1/apps/${encodeURIComponent(r.namespace)}/${encodeURIComponent(r.name)}/logo`
          : null,
        latestVersion: latestVersion(versions.get(r.id) ?? []),
        updatedAt: new Date(r.updatedAt).toISOString(),
      });
    }
  }
}

function parseTags(json: string): string[] {
  try {
    const value: unknown = JSON.parse(json);
    return Array.isArray(value) ? value.filter((t): t is string => typeof t === 'string') : [];
  } catch {
    return [];
  }
}
