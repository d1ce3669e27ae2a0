/** The store API's answers about apps, as far as the CLI reads them (server/store/app-access.ts, app-versions.ts). */
import { repositoryOf, type AppRef } from './app-ref.js';

export interface PackageView {
  name: string;
  type: string;
  versions: string[];
  createdAt: string;
}

/** GET /apps/{ns}/{app} */
export interface AppView {
  namespace: string;
  name: string;
  displayName: string;
  summary: string;
  tags: string[];
  categories: string[];
  homeUrl: string;
  sourceUrl: string;
  publishType: string;
  listed: boolean;
  onShelf: boolean;
  latestVersion: string | null;
  visits: number;
  installs: number;
  pulls: number;
  packages: PackageView[];
  createdAt: string;
  updatedAt: string;
}

/** GET /apps/{ns}/{app}/versions (each), and the start of GET .../versions/{v} */
export interface VersionView {
  version: string;
  alias: string;
  description: string;
  state: 'draft' | 'syncing' | 'ready' | 'failed';
  manifestDigest: string;
  templateDigest: string;
  rainbondVersion: string;
  arch: string;
  isPlugin: boolean;
  updateVersion: number;
  createdAt: string;
  updatedAt: string;
}

export interface ComponentView {
  serviceKey: string;
  name: string;
  imageDigest: string | null;
  sourceRef: string;
}

/** GET /apps/{ns}/{app}/versions/{v} */
export interface VersionDetail extends VersionView {
  components: ComponentView[];
  template: unknown;
}

export interface StatDay {
  day: string;
  visits: number;
  installs: number;
  pulls: number;
}

/** GET /apps/{ns}/{app}/stats */
export interface StatsView {
  days: StatDay[];
  totals: { visits: number; installs: number; pulls: number };
}

/** `/apps/<namespace>/<app>` plus `rest`. */
export function appPath(ref: Pick<AppRef, 'namespace' | 'app'>, rest = ''): string {
  return `/apps/${repositoryOf(ref)
    .split('/')
    .map((s) => encodeURIComponent(s))
    .join('/')}${rest}`;
}

export function versionPath(
  ref: Pick<AppRef, 'namespace' | 'app'>,
  version: string,
  rest = '',
): string {
  return appPath(ref, `/versions/${encodeURIComponent(version)}${rest}`);
}
