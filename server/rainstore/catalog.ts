/**
 * The apps and versions a Rainstore caller sees. Every decision is the permission module's: an app
 * the caller may not see is not found (404), one they see but may not change is forbidden (403).
 */
import type { Permissions } from '../auth/permissions.js';
import type { Principal } from '../auth/principal.js';
import { StoreError } from '../errors.js';
import { compareVersions } from '../search/latest-version.js';
import type { AppRow, VersionRow } from '../store/app-access.js';
import { parseStrings } from '../store/app-access.js';
import type { AppRepositories } from '../store/app-repository.js';

export interface CatalogEntry {
  app: AppRow;
  onShelf: boolean;
  /** The versions the caller sees, in the store's order (highest first). */
  versions: VersionRow[];
}

export interface ListOptions {
  query?: string | undefined;
  /** Publishing: add every app the caller may push to, even unlisted or without versions. */
  queryAll: boolean;
  arch?: string | undefined;
  /** true: plugin apps only; false: apps that are not plugin-only. */
  plugins: boolean;
}

export class Catalog {
  constructor(private readonly deps: { repos: AppRepositories; permissions: Permissions }) {}

  /** The app with `appKeyID` `appKey` as the caller sees it; 404 when unknown or invisible. */
  async visible(p: Principal, appKey: string): Promise<CatalogEntry> {
    const { repos } = this.deps;
    const app = await repos.apps.findByKey(appKey);
    const onShelf = !!app && app.listed && (await repos.apps.hasPackage(app.id));
    if (!app || !(await this.deps.permissions.seeApp(p, app.namespace, onShelf)))
      throw new StoreError('not_found', `no app ${appKey}`);
    const rows = await repos.versions.list(app.id);
    const member = await this.deps.permissions.namespace(p, app.namespace, 'read');
    return { app, onShelf, versions: this.shown(app, rows, member) };
  }

  /** The app, when the caller may push into it (publish a version, get push credentials). */
  async pushable(p: Principal, appKey: string): Promise<CatalogEntry> {
    const entry = await this.visible(p, appKey);
    const upstream = await this.deps.permissions.mirroredFrom(entry.app.namespace, entry.app.name);
    if (upstream !== undefined)
      throw new StoreError(
        'forbidden',
        `${entry.app.namespace}/${entry.app.name} is mirrored from upstream "${upstream}": it is read-only here`,
      );
    if (!(await this.deps.permissions.namespace(p, entry.app.namespace, 'push'))) {
      throw new StoreError(
        'forbidden',
        `only members of ${entry.app.namespace} publish to its apps`,
      );
    }
    return entry;
  }

  async version(
    p: Principal,
    appKey: string,
    version: string,
  ): Promise<CatalogEntry & { row: VersionRow }> {
    const entry = await this.visible(p, appKey);
    const row = entry.versions.find((v) => v.version === version);
    if (!row) throw new StoreError('not_found', `no version ${version} of app ${appKey}`);
    return { ...entry, row };
  }

  /** The apps of a list call, newest change first (rainstore-api.md §4.5). */
  async list(p: Principal, options: ListOptions): Promise<CatalogEntry[]> {
    const { repos, permissions } = this.deps;
    const roles = new Map<string, { read: boolean; push: boolean }>();
    const roleIn = async (namespace: string) => {
      let r = roles.get(namespace);
      if (!r)
        roles.set(
          namespace,
          (r = {
            read: await permissions.namespace(p, namespace, 'read'),
            push: await permissions.namespace(p, namespace, 'push'),
          }),
        );
      return r;
    };
    const needle = options.query?.toLowerCase();
    const out: CatalogEntry[] = [];
    for (const { app, onShelf, versions } of await repos.apps.withVersions()) {
      if (!(await permissions.seeApp(p, app.namespace, onShelf))) continue;
      const role = await roleIn(app.namespace);
      const shown = this.shown(app, versions, role.read);
      const browsable = (onShelf || role.read) && shown.some((v) => v.state === 'ready');
      if (!browsable && !(options.queryAll && role.push)) continue;
      if (needle && !matches(app, needle)) continue;
      if (options.arch && !shown.some((v) => hasArch(v.arch, options.arch!))) continue;
      const plugin = shown.length > 0 && shown.every((v) => v.isPlugin);
      if (options.plugins ? !shown.some((v) => v.isPlugin) : plugin) continue;
      out.push({ app, onShelf, versions: shown });
    }
    return out.sort((a, b) => b.app.updatedAt - a.app.updatedAt || b.app.id - a.app.id);
  }

  /** Installable versions; members also see drafts and failed ones. */
  private shown(app: AppRow, rows: VersionRow[], member: boolean): VersionRow[] {
    return rows
      .filter((v) => member || v.state === 'ready')
      .sort((a, b) =>
        compareVersions(
          { version: a.version, created: a.id },
          { version: b.version, created: b.id },
        ),
      );
  }
}

function matches(app: AppRow, needle: string): boolean {
  const fields = [app.name, app.displayName, app.summary, ...parseStrings(app.tags)];
  return fields.some((f) => f.toLowerCase().includes(needle));
}

/** `amd64&arm64` has both. */
export function hasArch(versionArch: string, wanted: string): boolean {
  return versionArch.split('&').includes(wanted);
}
