/**
 * The composition root: builds the whole store from a validated Config. `main.ts` and the
 * tests both use it, so tests run exactly what production runs.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import type Database from 'better-sqlite3';
import express from 'express';
import type { Logger } from 'pino';
import { createRegistry, stagingDirOf, type Registry } from '../registry/index.js';
import { createOutboundFetch, OutboundPolicy } from '../registry/client/index.js';
import type { Config } from '../schemas/config.js';
import { accessKeyRepository } from './auth/access-key-repository.js';
import { AccessKeys } from './auth/access-keys.js';
import { bootstrapAdmin } from './auth/bootstrap.js';
import { Permissions } from './auth/permissions.js';
import { pullCredentialRepository } from './auth/pull-credential-repository.js';
import { PullCredentials } from './auth/pull-credentials.js';
import { createRegistryAccess } from './auth/registry-access.js';
import { tokenEndpoint } from './auth/token-endpoint.js';
import { tokenKeyRepository } from './auth/token-keys.js';
import { TokenService } from './auth/token-service.js';
import { NO_CHECKPOINTER, startCheckpointer } from './db/checkpointer.js';
import { databaseUsage } from './db/database-usage.js';
import { AppScreenshots } from './store/app-screenshots.js';
import { screenshotRepository } from './store/screenshot-repository.js';
import { runDataMigrations } from './db/data-migrations.js';
import { type Db } from './db/open-database.js';
import { notificationsOf } from './db/notifications.js';
import {
  openStoreDatabase,
  type SqliteStoreDatabase,
  type StoreDatabase,
} from './db/store-database.js';
import { apiErrorHandler, notFound } from './http/api-errors.js';
import { authenticate } from './http/authenticate.js';
import { refuseForgedCookieRequests } from './http/cookie-forgery.js';
import { refuseNulInPath } from './http/nul-path.js';
import { databaseCheck, storageCheck } from './health/checks.js';
import { Readiness } from './health/readiness.js';
import { createLogger } from './logger.js';
import { fsStorageRoot, storageDriverOf } from './storage-drivers.js';
import { familyOfPath } from './metrics/http-metrics.js';
import { Metrics } from './metrics/metrics.js';
import { createAccounts } from './accounts/index.js';
import { auditRegistryChanges } from './accounts/registry-audit.js';
import { accessDirectory } from './auth/access-directory.js';
import { adminRoutes } from './routes/admin.js';
import { auditRoutes } from './routes/audit.js';
import { appRetentionRoutes, governanceRoutes } from './routes/governance.js';
import { authRoutes } from './routes/auth.js';
import { keyRoutes } from './routes/keys.js';
import { openApiRoute } from './routes/openapi.js';
import { orgRoutes } from './routes/orgs.js';
import { userRoutes } from './routes/users.js';
import { searchRoutes } from './routes/search.js';
import { appRoutes } from './routes/apps.js';
import { publisherRoutes } from './routes/publishers.js';
import { rainstoreRoutes } from './routes/rainstore.js';
import { searchRepository } from './search/open-search.js';
import { SearchService } from './search/search-service.js';
import { BundleReader } from './store/bundle-reader.js';
import { StoreIndexer } from './store/indexer.js';
import { Immutability } from './governance/immutability.js';
import { immutabilityRepository } from './governance/immutability-repository.js';
import { NamespaceRules } from './governance/namespace-rules.js';
import { Retention, RetentionSchedule } from './governance/retention.js';
import { retentionRepository } from './governance/retention-repository.js';
import { Quotas } from './governance/quotas.js';
import { quotaRepository } from './governance/quota-repository.js';
import { Reindexer } from './store/reindex.js';
import { cleanSourceCredentials } from './store/migrations/clean-source-credentials.js';
import { ImageSync } from './store/sync/image-sync.js';
import { syncJobRepository } from './store/sync/sync-job-repository.js';
import { OwnHosts } from './store/sync/own-hosts.js';
import { syncRoutes } from './routes/sync.js';
import { AppStats } from './store/stats.js';
import { VersionIndex } from './store/version-index.js';
import { appRepositories } from './store/app-repository.js';
import { webRoutes } from './web/index.js';
import { appWebhookRoutes, namespaceWebhookRoutes } from './routes/webhooks.js';
import { createWebhooks } from './webhooks/index.js';
import { SecretBox } from './keys/secret-box.js';
import { serverSecrets } from './keys/server-secrets.js';
import { AppAccess } from './store/app-access.js';
import { MirroredApps } from './mirror/mirrored-apps.js';
import { MirrorService } from './mirror/mirror-service.js';
import { MirrorState } from './mirror/mirror-state.js';
import { mirrorRoutes } from './routes/mirror.js';

export interface AppInstance {
  /** The node:http request handler: /v2 straight to the registry, the rest through express. */
  handler: (req: IncomingMessage, res: ServerResponse) => void;
  registry: Registry;
  /** The store's database, on either engine (tests read and write rows through it). */
  store: StoreDatabase;
  /**
   * On SQLite, the same as drizzle and as the engine's own connection (tests that count rows
   * with SQLite's SQL); reading either on PostgreSQL throws, naming the engine.
   */
  readonly db: Db;
  readonly sqlite: Database.Database;
  /** The handler of the separate metrics listener, when `metrics.listen` asks for one (main.ts). */
  metricsHandler?: (req: IncomingMessage, res: ServerResponse) => void;
  log: Logger;
  config: Config;
  /** Tells the store where it listens (the port is known only then, with `listen: ...:0`). */
  listeningOn(address: { address: string; port: number }): void;
  shutdown(): Promise<void>;
}

export interface AppOptions {
  log?: Logger;
  /** Where one-time secrets are printed (the generated admin key, the `log` provider's codes). */
  print?: (line: string) => void;
  clock?: () => number;
}

export async function createApp(config: Config, options: AppOptions = {}): Promise<AppInstance> {
  const log = options.log ?? createLogger(config.log.level);
  const clock = options.clock ?? Date.now;
  const data = resolve(config.data);
  const store = await openStoreDatabase(config.database, data);
  // SQLite's own part: the WAL checkpointer (PostgreSQL checkpoints by itself).
  const sqlite = store.dialect === 'sqlite' ? store : undefined;
  const checkpointer = sqlite
    ? startCheckpointer(sqlite.sqlite, log.child({ module: 'db' }))
    : NO_CHECKPOINTER;
  // Its sources are read at scrape time only, by which time everything below exists.
  const metrics: Metrics | undefined = config.metrics.enabled
    ? new Metrics(
        {
          totals: () => registry.totals(),
          syncJobs: () => syncJobs.countByState(),
          quotas: () => quotas.withQuotas(),
          database: databaseUsage(store, () => ({
            checkpointer: checkpointer.running,
            search: search.workerRunning,
          })),
        },
        log.child({ module: 'metrics' }),
      )
    : undefined;

  const keys = new AccessKeys(accessKeyRepository(store), clock);
  const print = options.print ?? ((l: string) => console.error(l));
  const secrets = serverSecrets(data, config.server.secretKey);
  if (store.dialect === 'postgres' && config.server.secretKey === undefined)
    log.warn(
      'database.url without server.secretKey: this process keeps its own login-code, CSRF and webhook keys in <data>/keys, so other processes of this store will not accept its codes and forms (docs/deployment.md)',
    );
  const accounts = createAccounts({ store, keys, config, secrets, log, print, clock });
  await bootstrapAdmin({
    users: accounts.users,
    keys,
    adminKey: config.auth.adminKey,
    log,
    print,
  });
  const directory = accessDirectory(store);
  const permissions = new Permissions(
    { anonymousPull: config.registry.anonymousPull, proxies: config.registry.proxies },
    directory,
    clock,
  );
  const tokens = await TokenService.open(
    {
      keys: tokenKeyRepository(store),
      dataDir: data,
      // Sealed in its row only when every process has the secret to open it with.
      box: config.server.secretKey
        ? new SecretBox(
            secrets.key('token-signing.key'),
            undefined,
            'the registry token signing key',
          )
        : undefined,
    },
    config.auth.service,
    config.auth.tokenTtlSeconds,
    clock,
  );
  const realmFor = (host: string | undefined): string =>
    `${config.publicUrl ?? `http://${host ?? 'localhost'}`}/v2/token`;

  // What the store fetches for a user passes one address policy (ARCHITECTURE.md §8).
  const ownHosts = new OwnHosts(config.publicUrl, config.listen);
  // The upstreams an admin named for the caches are trusted targets; redirects they send are not.
  const proxyFetch = config.registry.proxies.length
    ? createOutboundFetch(
        new OutboundPolicy({
          allowHosts: [
            ...config.sync.allowHosts,
            ...config.registry.proxies.map((p) => new URL(p.upstream).host),
          ],
          self: () => ownHosts.addresses(),
        }),
      )
    : undefined;
  const registry = createRegistry({
    database: store,
    driver: await storageDriverOf(config, clock),
    stagingDir: stagingDirOf(data),
    access: createRegistryAccess({ tokens, permissions, realmFor }),
    log,
    maxManifestBytes: config.registry.maxManifestBytes,
    maxOpenUploads: config.registry.maxOpenUploads,
    gc: config.registry.gc,
    clock,
    ...(metrics ? { observer: metrics.observer } : {}),
    proxies: config.registry.proxies,
    ...(proxyFetch ? { proxyFetch } : {}),
  });

  const webhooks = await createWebhooks({
    store,
    config,
    secrets,
    permissions,
    audit: accounts.audit,
    clock,
    log: log.child({ module: 'webhooks' }),
    self: () => ownHosts.addresses(),
  });
  const events = webhooks.events;
  const appRepos = appRepositories(store);
  const versions = new VersionIndex(appRepos, registry, clock, events);
  const reader = new BundleReader(registry);
  const indexer = new StoreIndexer({
    registry,
    reader,
    versions,
    events,
    log: log.child({ module: 'store.indexer' }),
    clock,
  });
  indexer.attach();
  const immutability = new Immutability({
    repository: immutabilityRepository(store),
    directory,
    permissions,
    audit: accounts.audit,
    clock,
  });
  const quotas = new Quotas({ repository: quotaRepository(store), events, clock });
  // Immutability first (a refused tag move needs no room), then the quota, then the indexer's checks.
  immutability.attach(registry, quotas.attach(registry, indexer.guard));
  const stats = new AppStats({ store, clock, log: log.child({ module: 'store.stats' }) }).attach(
    registry,
  );
  const retention = new Retention({
    repository: retentionRepository(store),
    registry,
    flushUsage: () => stats.flush(),
    immutability,
    audit: accounts.audit,
    clock,
  });
  const namespaceRules = new NamespaceRules({
    immutability,
    retention,
    namespaces: accounts.namespaces,
    permissions,
    audit: accounts.audit,
  });
  const retentionSchedule = new RetentionSchedule({
    retention,
    intervalSeconds: config.retention.intervalSeconds,
    log: log.child({ module: 'governance.retention' }),
  });
  const outbound = createOutboundFetch(
    new OutboundPolicy({ allowHosts: config.sync.allowHosts, self: () => ownHosts.addresses() }),
  );
  const sync = new ImageSync({
    store,
    registry,
    versions,
    permissions,
    log: log.child({ module: 'store.sync' }),
    clock,
    maxManifestBytes: config.registry.maxManifestBytes,
    outbound,
    ownHosts,
    events,
  });
  const reindex = new Reindexer({
    repos: appRepos,
    registry,
    reader,
    versions,
    log: log.child({ module: 'store.reindex' }),
    busy: () => sync.busy(),
  });
  const syncJobs = syncJobRepository(store, clock);
  // The upstreams the admin named are trusted targets; every other hop is checked as for sync.
  const mirrorOutbound = createOutboundFetch(
    new OutboundPolicy({
      allowHosts: [
        ...config.sync.allowHosts,
        ...config.mirror.upstreams.map((u) => hostPortOf(u.url)),
      ],
      self: () => ownHosts.addresses(),
    }),
  );
  const mirror = new MirrorService({
    upstreams: config.mirror.upstreams,
    store,
    registry,
    apps: new MirroredApps({ store, registry, versions, namespaces: accounts.namespaces, clock }),
    state: new MirrorState(store, new AppAccess(appRepos, permissions), clock),
    audit: accounts.audit,
    log: log.child({ module: 'mirror' }),
    clock,
    outbound: mirrorOutbound,
    maxManifestBytes: config.registry.maxManifestBytes,
    retry: { attempts: 3, baseDelayMs: 250, maxDelayMs: 2000 },
    concurrency: 4,
  });
  auditRegistryChanges(registry, accounts.audit, log.child({ module: 'audit' }));
  // Before any job resumes or request comes in: stored content rewritten once (data-migrations.ts).
  await runDataMigrations({ store, log: log.child({ module: 'db.migrations' }), clock }, [
    cleanSourceCredentials({
      store,
      registry,
      log: log.child({ module: 'store.migrations' }),
      clock,
    }),
  ]);
  await sync.resume();
  await mirror.start();
  retentionSchedule.start();

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  const readiness = new Readiness({
    checks: {
      database: databaseCheck(store, data),
      storage: storageCheck(registry.blobs.driver, fsStorageRoot(config), data),
    },
    log: log.child({ module: 'health' }),
  });
  app.get('/readyz', async (_req, res) => {
    const report = await readiness.report();
    res
      .status(report.status === 'ok' ? 200 : 503)
      .set('Cache-Control', 'no-store')
      .json(report);
  });
  const pulls = new PullCredentials({
    repository: pullCredentialRepository(store),
    ttlSeconds: config.rainstore.pullCredentialTtlSeconds,
    clock,
  });
  const token = tokenEndpoint({
    tokens,
    keys,
    pulls,
    permissions,
    failures: accounts.failures,
  });
  app.get('/v2/token', token);
  app.post('/v2/token', express.urlencoded({ extended: false, limit: '16kb' }), token);

  const search = new SearchService({
    repository: searchRepository(store, { log: log.child({ module: 'search' }) }),
    clock,
    ...(metrics ? { onSearched: metrics.searched } : {}),
  });
  const api = express.Router();
  api.use(refuseNulInPath);
  api.use(authenticate({ keys, sessions: accounts.sessions, failures: accounts.failures }));
  api.use(refuseForgedCookieRequests(config.publicUrl)); // before a forged body is even parsed
  api.use(express.json({ limit: '1mb' }));
  const secureCookies =
    config.auth.secureCookies ?? config.publicUrl?.startsWith('https:') ?? false;
  api.use(
    '/auth',
    authRoutes({
      login: accounts.login,
      sessions: accounts.sessions,
      audit: accounts.audit,
      secureCookies,
    }),
  );
  api.use('/users', userRoutes({ ...accounts, permissions }));
  api.use('/keys', keyRoutes({ keys, ownKeys: accounts.ownKeys }));
  api.use('/orgs', orgRoutes({ ...accounts, permissions }));
  api.use('/audit', auditRoutes({ audit: accounts.audit, permissions }));
  api.use('/admin/mirror', mirrorRoutes({ mirror, permissions, audit: accounts.audit }));
  api.use('/namespaces', governanceRoutes({ rules: namespaceRules, quotas, permissions }));
  api.use(
    '/admin',
    adminRoutes({
      registry,
      permissions,
      users: accounts.users,
      keys,
      audit: accounts.audit,
      reindex,
      quotas,
    }),
  );
  api.use('/search', searchRoutes(search));
  api.use('/apps', syncRoutes({ sync, audit: accounts.audit }));
  api.use('/apps', appWebhookRoutes(webhooks.service));
  api.use(
    '/apps',
    appRetentionRoutes({
      rules: namespaceRules,
      appExists: (namespace, name) => retention.appExists({ namespace, name }),
    }),
  );
  api.use('/namespaces', namespaceWebhookRoutes(webhooks.service));
  const screenshots = new AppScreenshots({
    repo: screenshotRepository(store),
    access: new AppAccess(appRepos, permissions),
    driver: registry.blobs.driver,
    audit: accounts.audit,
    log: log.child({ module: 'store.screenshots' }),
    clock,
  });
  api.use(
    '/apps',
    appRoutes({
      screenshots,
      repos: appRepos,
      registry,
      versions,
      permissions,
      stats,
      audit: accounts.audit,
      log,
      clock,
      publicUrl: config.publicUrl,
      events,
    }),
  );
  api.use(
    '/publishers',
    publisherRoutes({
      repos: appRepos,
      users: accounts.users,
      namespaces: accounts.namespaces,
      permissions,
      stats,
    }),
  );
  api.get('/openapi.json', openApiRoute());
  api.use(notFound);
  app.use('/api/v1', api);
  app.use(
    '/app-server',
    rainstoreRoutes({
      store,
      repos: appRepos,
      registry,
      keys,
      failures: accounts.failures,
      permissions,
      stats,
      audit: accounts.audit,
      log,
      clock,
      config,
      pulls,
      token,
      events,
    }),
  );
  const web = webRoutes({
    store,
    screenshots,
    repos: appRepos,
    registry,
    versions,
    permissions,
    stats,
    search,
    keys,
    accounts,
    log,
    clock,
    secrets,
    publicUrl: config.publicUrl,
    secureCookies,
    sync,
    rainstore: config.rainstore,
    events,
    webhooks: webhooks.service,
    quotas,
    syncJobs,
    rules: namespaceRules,
  });
  app.use(web.pages);
  app.use(web.notFound);
  app.use(apiErrorHandler(log));

  // /metrics here unless it has a listener of its own; /v2 requests are counted by the registry.
  const metricsHere = metrics && config.metrics.listen === undefined ? metrics : undefined;
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '/';
    if (url.startsWith('//app-server/')) req.url = url.slice(1); // a hand-entered store URL with a trailing slash
    if (isRegistryPath(url)) return registry.handle(req, res);
    const family = familyOfPath(req.url ?? url);
    if (metrics) {
      const startedAt = performance.now();
      res.once('close', () => metrics.http.observe(family, req, res, startedAt));
    }
    if (family === 'metrics' && metricsHere) metricsHere.serve(req, res);
    else app(req, res);
  };

  return {
    handler,
    ...(metrics && !metricsHere ? { metricsHandler: metricsOnly(metrics) } : {}),
    registry,
    store,
    get db() {
      return sqliteOnly(store).db;
    },
    get sqlite() {
      return sqliteOnly(store).sqlite;
    },
    log,
    config,
    listeningOn(address) {
      ownHosts.listening(address.address, address.port);
    },
    async shutdown() {
      await retentionSchedule.stop();
      await sync.stop();
      await mirror.stop();
      await webhooks.close();
      await outbound.dispatcher.close();
      await mirrorOutbound.dispatcher.close();
      await proxyFetch?.dispatcher.close();
      await registry.close();
      await stats.close();
      await search.close();
      await checkpointer.stop();
      await notificationsOf(store).close();
      await store.close();
    },
  };
}

function sqliteOnly(store: StoreDatabase): SqliteStoreDatabase {
  if (store.dialect !== 'sqlite')
    throw new Error(`the store's database is ${store.dialect}: SQLite's connection is not there`);
  return store;
}

/** The separate metrics listener: /metrics and nothing else. */
function metricsOnly(metrics: Metrics): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (familyOfPath(req.url ?? '/') === 'metrics') metrics.serve(req, res);
    else res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
  };
}

/** `host:port` of a URL (the scheme's port when it names none), as an allowHosts entry. */
function hostPortOf(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
}

function isRegistryPath(url: string): boolean {
  if (!url.startsWith('/v2')) return false;
  const rest = url.slice(3);
  if (rest === '' || rest.startsWith('?')) return true;
  return rest.startsWith('/') && !rest.startsWith('/token');
}
