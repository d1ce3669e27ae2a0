/**
 * The items of a result page. What an item shows of its app (names, summary, tags, logo, update
 * time, latest version) only changes with the content version, so it is kept per doc table;
 * the counts (installs, visits) are read fresh for every page, from the narrow search_docs.
 */
import type Database from 'better-sqlite3';
import type { DocTable } from './doc-table.js';
import { latestVersion, type VersionRow } from './latest-version.js';
import { COUNTS_SQL, ITEMS_SQL, VERSIONS_SQL } from './search-sql.js';
import type { SearchItem } from './search-types.js';

interface ItemRow {
  id: number;
  namespace: string;
  name: string;
  displayName: string;
  summary: string;
  tags: string;
  logo: number;
  updatedAt: number;
}

interface CountRow {
  id: number;
  installs: number;
  visits: number;
}

export class ResultItems {
  private readonly itemsOf: Database.Statement<[string], ItemRow>;
  private readonly versionsOf: Database.Statement<[string], VersionRow & { appId: number }>;
  private readonly countsOf: Database.Statement<[string], CountRow>;

  constructor(sqlite: Database.Database) {
    this.itemsOf = sqlite.prepare(ITEMS_SQL);
    this.versionsOf = sqlite.prepare(VERSIONS_SQL);
    this.countsOf = sqlite.prepare(COUNTS_SQL);
  }

  /** Items for app ids, in that order (an id no longer in the store is left out). */
  read(table: DocTable, ids: readonly number[]): SearchItem[] {
    if (ids.length === 0) return [];
    const unknown = ids.filter((id) => !table.items.has(id));
    if (unknown.length > 0) this.learn(table, unknown);
    const counts = new Map(this.countsOf.all(JSON.stringify(ids)).map((r) => [r.id, r]));
    return ids.flatMap((id) => {
      const shown = table.items.get(id);
      const count = counts.get(id);
      return shown && count ? [{ ...shown, installs: count.installs, visits: count.visits }] : [];
    });
  }

  /** Reads what items show of these apps, and their latest versions, into the table. */
  private learn(table: DocTable, ids: readonly number[]): void {
    const versions = new Map<number, VersionRow[]>(ids.map((id) => [id, []]));
    for (const v of this.versionsOf.all(JSON.stringify(ids))) versions.get(v.appId)?.push(v);
    for (const r of this.itemsOf.all(JSON.stringify(ids))) {
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
