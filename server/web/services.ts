/**
 * The store's services as the web calls them, in process (the pages never HTTP-call the API).
 * They are the same classes the /api/v1 routes use, over the same database and statistics.
 */
import type { StoreDatabase } from '../db/store-database.js';
import { VersionPublisher } from '../rainstore/publish-version.js';
import { sourceCredentialRepository } from '../store/source-credential-repository.js';
import type { SyncJobView } from '../../schemas/sync.js';
import type { AppScreenshots } from '../store/app-screenshots.js';
import type { Logger } from 'pino';
import type { Registry } from '../../registry/index.js';
import type { Accounts } from '../accounts/index.js';
import { Organisations } from '../accounts/organisations.js';
import type { AccessKeys } from '../auth/access-keys.js';
import type { ServerSecrets } from '../keys/server-secrets.js';
import type { Permissions } from '../auth/permissions.js';
import type { Principal } from '../auth/principal.js';
import type { AppRepositories } from '../store/app-repository.js';
import type { SearchService } from '../search/search-service.js';
import { AppAccess } from '../store/app-access.js';
import { AppPackages } from '../store/app-packages.js';
import { AppService } from '../store/app-service.js';
import { AppVersions } from '../store/app-versions.js';
import { Publishers } from '../store/publishers.js';
import type { AppStats } from '../store/stats.js';
import type { AppRef, VersionIndex } from '../store/version-index.js';
import type { StoreEvents } from '../webhooks/store-events.js';
import type { WebhookService } from '../webhooks/webhook-service.js';
import type { NamespaceRules } from '../governance/namespace-rules.js';
import type { Quotas } from '../governance/quotas.js';
import type { SyncJobRepository } from '../store/sync/sync-job-repository.js';

/** Publishing drafts (server/store/sync): optional, the web offers it when the store has it. */
export interface DraftPublisher {
  publish(
    p: Principal,
    ref: AppRef & { version: string },
    input: { credentials?: { registry: string; username: string; password: string }[] },
    /** The Host the request came in on: a reference to it is this store. */
    requestHost?: string,
  ): SyncJobView | Promise<SyncJobView>;
  status(p: Principal, ref: AppRef & { version: string }): SyncJobView | Promise<SyncJobView>;
}

export interface WebDeps {
  /** The store's app rows (app-repository.ts). */
  repos: AppRepositories;
  registry: Registry;
  versions: VersionIndex;
  permissions: Permissions;
  stats: AppStats;
  search: SearchService;
  keys: AccessKeys;
  accounts: Accounts;
  log: Logger;
  clock: () => number;
  /** The server secrets (the CSRF key is one). */
  secrets: ServerSecrets;
  publicUrl?: string | undefined;
  secureCookies: boolean;
  sync?: DraftPublisher | undefined;
  /** The Rainstore settings /certification/login needs (who may frame it, the market's name). */
  rainstore?: { frameAncestors: readonly string[]; marketName: string } | undefined;
  /** Store events (webhooks): the web's changes emit what the API's do. */
  events?: StoreEvents | undefined;
  /** Webhooks of namespaces and apps: the pages' webhooks sections. */
  webhooks?: WebhookService | undefined;
  /** Storage quotas: the admin page sets them, My store shows each owned namespace's usage. */
  quotas?: Quotas | undefined;
  /** Sync jobs by state and the latest failures: the admin storage page. */
  syncJobs?: SyncJobRepository | undefined;
  /** Immutability and retention rules: a namespace's rules page (pages/rules.ts). */
  rules?: NamespaceRules | undefined;
  /** An app's screenshots: the Overview tab's gallery, the management page's section. */
  screenshots: AppScreenshots;
  /** The store's database: the web's version uploads keep a draft's source credentials in it. */
  store: StoreDatabase;
}

export interface WebServices {
  deps: WebDeps;
  access: AppAccess;
  apps: AppService;
  versions: AppVersions;
  packages: AppPackages;
  screenshots: AppScreenshots;
  /** New versions from an uploaded template, as the Rainstore API's publishing writes them. */
  publisher: VersionPublisher;
  publishers: Publishers;
  /** Organisations and their members (the service /api/v1/orgs uses). */
  orgs: Organisations;
}

export function webServices(deps: WebDeps): WebServices {
  const { accounts, permissions, stats } = deps;
  const access = new AppAccess(deps.repos, permissions);
  const common = { ...deps, access, audit: accounts.audit };
  return {
    deps,
    access,
    apps: new AppService({ ...common, log: deps.log.child({ module: 'store.apps' }) }),
    versions: new AppVersions(common),
    packages: new AppPackages(common),
    screenshots: deps.screenshots,
    publisher: new VersionPublisher({
      ...common,
      credentials: sourceCredentialRepository(deps.store),
      log: deps.log.child({ module: 'store.publish' }),
    }),
    publishers: new Publishers({
      repos: deps.repos,
      users: accounts.users,
      namespaces: accounts.namespaces,
      permissions,
      access,
      stats,
    }),
    orgs: new Organisations({ ...accounts, permissions }),
  };
}
