/** The items of a result page: read fresh from the store (so counts are never stale). */
import type Database from 'better-sqlite3';
import type { DocTable } from './doc-table.js';
import { latestVersion, type VersionRow } from './latest-version.js';
import { ITEMS_SQL, VERSIONS_SQL } from './search-sql.js';
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
  installs: number;
  visits: number;
}

export class ResultItems {
  private readonly itemsOf: Database.Statement<[string], ItemRow>;
  private readonly versionsOf: Database.Statement<[string], VersionRow & { appId: number }>;

  constructor(sqlite: Database.Database) {
    this.itemsOf = sqlite.prepare(ITEMS_SQL);
    this.versionsOf = sqlite.prepare(VERSIONS_SQL);
  }

  /** Items for app ids, in that order; latest versions are kept per content version in `table`. */
  read(table: DocTable, ids: readonly number[]): SearchItem[] {
    if (ids.length === 0) return [];
    const rows = new Map(this.itemsOf.all(JSON.stringify(ids)).map((r) => [r.id, r]));
    const unknown = ids.filter((id) => !table.latestVersions.has(id));
    if (unknown.length > 0) {
      const versions = new Map<number, VersionRow[]>(unknown.map((id) => [id, []]));
      for (const v of this.versionsOf.all(JSON.stringify(unknown))) versions.get(v.appId)?.push(v);
      for (const [id, list] of versions) table.latestVersions.set(id, latestVersion(list));
    }
    return ids.flatMap((id) => {
      const r = rows.get(id);
      if (!r) return [];
      const item: SearchItem = {
        namespace: r.namespace,
        name: r.name,
        displayName: r.displayName,
        summary: r.summary,
        tags: parseTags(r.tags),
        logo: r.logo
          ? `/api/v1/apps/${encodeURIComponent(r.namespace)}/${encodeURIComponent(r.name)}/logo`
          : null,
        latestVersion: table.latestVersions.get(id) ?? null,
        installs: r.installs,
        visits: r.visits,
        updatedAt: new Date(r.updatedAt).toISOString(),
      };
      return [item];
    });
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
