/**
 * Finding an app for a caller, and what the store shows of it. Every decision is the permission
 * module's: an app the caller may not see is "not found" (its existence is not revealed); one
 * they see but may not change is "forbidden".
 */
import type { Moderation } from '../../schemas/moderation.js';
import type { Permissions } from '../auth/permissions.js';
import type { Principal } from '../auth/principal.js';
import { StoreError } from '../errors.js';
import { compareVersions } from '../search/latest-version.js';
import type { StatTotals } from './stats.js';
import type { AppRef, AppRepositories, AppRow, PackageRow, VersionRow } from './app-repository.js';

export type { AppRow, PackageRow, VersionRow };

/** Who asks, and from where (for the audit trail). */
export interface Caller {
  principal: Principal;
  address: string;
}

export interface PackageView {
  name: string;
  type: 'free';
  versions: string[];
  createdAt: string;
}

export class AppAccess {
  constructor(
    readonly repos: AppRepositories,
    private readonly permissions: Permissions,
  ) {}

  find(ref: AppRef): Promise<AppRow | undefined> {
    return this.repos.apps.find(ref);
  }

  /** On the shelf: listed by its owner and has a package. */
  async onShelf(app: AppRow): Promise<boolean> {
    return app.listed && (await this.repos.apps.hasPackage(app.id));
  }

  /** The app, when `p` may see it (on the shelf, or `p` is a member or admin); else not_found. */
  async visible(p: Principal, ref: AppRef): Promise<AppRow> {
    const app = await this.find(ref);
    if (!app || !(await this.permissions.seeApp(p, app.namespace, await this.onShelf(app)))) {
      throw new StoreError('not_found', `no app ${ref.namespace}/${ref.name}`);
    }
    return app;
  }

  /** The app, when `p` may change it (manage-apps on its namespace). */
  async manageable(p: Principal, ref: AppRef): Promise<AppRow> {
    if (p.kind !== 'user') throw new StoreError('unauthorized', 'sign in or send an access key');
    const app = await this.visible(p, ref);
    if (!(await this.permissions.changeApp(p, app.namespace, app.name))) {
      const upstream = await this.permissions.mirroredFrom(app.namespace, app.name);
      throw new StoreError(
        'forbidden',
        upstream === undefined
          ? `only owners and maintainers of ${app.namespace} change its apps`
          : `${app.namespace}/${app.name} is mirrored from upstream "${upstream}": it is read-only here`,
        upstream === undefined ? undefined : { mirroredFrom: upstream },
      );
    }
    return app;
  }

  /** The publisher's own people: members of the app's namespace (their visits are not counted). */
  async ownPeople(p: Principal, app: AppRow): Promise<boolean> {
    return this.permissions.memberOf(p, app.namespace);
  }

  /** Members (and admins) see drafts and unlisted apps of the namespace. */
  async member(p: Principal, namespace: string): Promise<boolean> {
    return this.permissions.namespace(p, namespace, 'read');
  }

  /** Versions in the store's order: semver highest first, then the others newest first. */
  async versionsOf(appId: number, withDrafts: boolean): Promise<VersionRow[]> {
    const rows = await this.repos.versions.list(appId);
    return rows
      .filter((v) => withDrafts || v.state !== 'draft')
      .sort((a, b) =>
        compareVersions(
          { version: a.version, created: a.id },
          { version: b.version, created: b.id },
        ),
      );
  }

  async packagesOf(appId: number): Promise<PackageView[]> {
    return (await this.repos.packages.list(appId)).map(packageView);
  }
}

export function packageView(row: PackageRow): PackageView {
  return {
    name: row.name,
    type: row.type,
    versions: parseStrings(row.versions),
    createdAt: new Date(row.createdAt).toISOString(),
  };
}

export function logoUrl(app: AppRow): string | null {
  return app.logoKey
    ? `/api/v1/apps/${encodeURIComponent(app.namespace)}/${encodeURIComponent(app.name)}/logo`
    : null;
}

/** The app as the API shows it. */
export function appView(
  app: AppRow,
  extra: {
    onShelf: boolean;
    latestVersion: string | null;
    stats: StatTotals;
    packages: PackageView[];
  },
) {
  return {
    namespace: app.namespace,
    name: app.name,
    appKey: app.appKey,
    displayName: app.displayName,
    summary: app.summary,
    introduction: app.introduction,
    logo: logoUrl(app),
    tags: parseStrings(app.tags),
    categories: parseStrings(app.categories),
    sourceUrl: app.sourceUrl,
    homeUrl: app.homeUrl,
    publishType: app.publishType,
    listed: app.listed,
    mirroredFrom:
      app.mirrorUpstream !== null
        ? { upstream: app.mirrorUpstream, url: app.mirrorUrl ?? '' }
        : null,
    moderation: moderationOf(app),
    onShelf: extra.onShelf,
    latestVersion: extra.latestVersion,
    ...extra.stats,
    packages: extra.packages,
    createdAt: new Date(app.createdAt).toISOString(),
    updatedAt: new Date(app.updatedAt).toISOString(),
  };
}

export type AppView = ReturnType<typeof appView>;

/** An administrator's unlisting or takedown in force, with the reason the owner is shown. */
export function moderationOf(app: AppRow): Moderation {
  if (app.moderation === null) return null;
  return {
    state: app.moderation,
    reason: app.moderationReason ?? '',
    at: new Date(app.moderatedAt ?? app.updatedAt).toISOString(),
  };
}

export function parseStrings(json: string): string[] {
  try {
    const value: unknown = JSON.parse(json);
    return Array.isArray(value) ? value.filter((s): s is string => typeof s === 'string') : [];
  } catch {
    return [];
  }
}
