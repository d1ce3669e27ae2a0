/**
 * The marketplace's publisher page: who publishes (a user's public profile or an organisation)
 * and the apps of theirs the caller may see (the shelf; members see all), with their totals.
 */
import { publicProfile, type PublicProfile, type Users } from '../accounts/users.js';
import type { Namespaces } from '../accounts/namespaces.js';
import type { Permissions } from '../auth/permissions.js';
import type { Principal } from '../auth/principal.js';
import { StoreError } from '../errors.js';
import { logoUrl, parseStrings, type AppAccess } from './app-access.js';
import type { AppRepositories } from './app-repository.js';
import type { AppStats, StatTotals } from './stats.js';

export interface PublisherApp extends StatTotals {
  namespace: string;
  name: string;
  displayName: string;
  summary: string;
  logo: string | null;
  tags: string[];
  categories: string[];
  latestVersion: string | null;
  onShelf: boolean;
  updatedAt: string;
}

export interface PublisherPage {
  kind: 'user' | 'org';
  profile: PublicProfile | { name: string; displayName: string; createdAt: string };
  apps: PublisherApp[];
  totals: StatTotals & { apps: number };
}

export class Publishers {
  constructor(
    private readonly deps: {
      repos: AppRepositories;
      users: Users;
      namespaces: Namespaces;
      permissions: Permissions;
      access: AppAccess;
      stats: AppStats;
    },
  ) {}

  async page(p: Principal, name: string): Promise<PublisherPage> {
    const { repos, users, namespaces, permissions, access, stats } = this.deps;
    const ns = await namespaces.get(name);
    const user = ns?.kind === 'user' ? await users.byName(name) : undefined;
    if (!ns || (ns.kind === 'user' && (!user || user.disabled)))
      throw new StoreError('not_found', `no publisher "${name}"`);
    const profile = user
      ? publicProfile(user)
      : {
          name: ns.name,
          displayName: ns.displayName,
          createdAt: new Date(ns.createdAt).toISOString(),
        };
    const rows = (
      await Promise.all(
        (await repos.apps.inNamespace(ns.name)).map(async (app) => {
          const onShelf = await access.onShelf(app);
          return {
            app,
            onShelf,
            seen: await permissions.seeApp(p, app.namespace, onShelf),
            latest: (await access.versionsOf(app.id, false))[0],
          };
        }),
      )
    ).filter(({ seen }) => seen);
    const totals = await stats.totals(rows.map((r) => r.app.id));
    const list = rows.map(({ app, onShelf, latest }): PublisherApp => ({
      namespace: app.namespace,
      name: app.name,
      displayName: app.displayName,
      summary: app.summary,
      logo: logoUrl(app),
      tags: parseStrings(app.tags),
      categories: parseStrings(app.categories),
      latestVersion: latest?.version ?? null,
      onShelf,
      ...totals.get(app.id)!,
      updatedAt: new Date(app.updatedAt).toISOString(),
    }));
    const sum = (k: keyof StatTotals): number => list.reduce((n, a) => n + a[k], 0);
    return {
      kind: ns.kind,
      profile,
      apps: list,
      totals: {
        apps: list.length,
        visits: sum('visits'),
        installs: sum('installs'),
        pulls: sum('pulls'),
      },
    };
  }
}
