/**
 * /app-server: the Rainstore OpenAPI a stock Rainbond console binds, browses, publishes to and
 * installs from (docs/rainstore-api.md). Errors are `{code, msg}`, never 401.
 */
import express, { Router, type Request, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { StoreEvents } from '../webhooks/store-events.js';
import { z } from 'zod';
import { TAG_PATTERN } from '../../schemas/oci.js';
import type { Config } from '../../schemas/config.js';
import type { Registry } from '../../registry/index.js';
import type { AuditLog } from '../accounts/audit-log.js';
import type { FailedCredentials } from '../accounts/failed-credentials.js';
import type { AccessKeys } from '../auth/access-keys.js';
import type { Permissions } from '../auth/permissions.js';
import { ANONYMOUS } from '../auth/principal.js';
import type { PullCredentials } from '../auth/pull-credentials.js';
import { userRepository } from '../accounts/user-repository.js';
import type { StoreDatabase } from '../db/store-database.js';
import type { AppRepositories } from '../store/app-repository.js';
import { StoreError } from '../errors.js';
import { AppAccess } from '../store/app-access.js';
import { AppService } from '../store/app-service.js';
import type { AppStats } from '../store/stats.js';
import { sourceCredentialRepository } from '../store/source-credential-repository.js';
import { repositoryOf } from '../store/version-index.js';
import { refuseNulInPath } from '../http/nul-path.js';
import { parseInput } from '../http/validate.js';
import { appSlug, parseAppChange, parseNewApp } from '../rainstore/app-input.js';
import {
  accessActionsOf,
  callerOf,
  requireRight,
  type RainstoreCaller,
} from '../rainstore/caller.js';
import { Catalog, type CatalogEntry } from '../rainstore/catalog.js';
import {
  appBase,
  appDetail,
  versionBase,
  versionDetail,
  type DtoContext,
} from '../rainstore/dto.js';
import { rainstoreErrorHandler, unknownRainstorePath } from '../rainstore/errors.js';
import { InstallCounter } from '../rainstore/install-counter.js';
import { installTemplate } from '../rainstore/install-template.js';
import { baseUrlOf, hubHostOf, marketOf, ownHostsOf } from '../rainstore/market.js';
import { VersionPublisher } from '../rainstore/publish-version.js';
import { Robots } from '../rainstore/robots.js';
import { isoTime, pageOf, pagingOf, queryBoolean, queryString } from '../rainstore/wire.js';

const NewVersion = z.looseObject({
  version: z
    .string()
    .trim()
    .min(1)
    .max(32)
    .regex(TAG_PATTERN, 'letters, digits, _ . and -, not starting with . or -'),
  versionAlias: z.string().max(64).nullish(),
  description: z.string().max(255).nullish(),
  rainbondVersion: z.string().max(64).nullish(),
  arch: z.string().max(32).nullish(),
  is_plugin: z.boolean().nullish(),
  isPlugin: z.boolean().nullish(),
  /** Taken from the body as sent, not from what parseInput returns (see the route). */
  template: z.unknown(),
});

export interface RainstoreRoutesDeps {
  store: StoreDatabase;
  repos: AppRepositories;
  registry: Registry;
  keys: AccessKeys;
  /** Wrong access keys count here like at the store API's door. */
  failures: FailedCredentials;
  /** Issues the per-installer pull credentials of install templates. */
  pulls: PullCredentials;
  permissions: Permissions;
  stats: AppStats;
  audit: AuditLog;
  log: Logger;
  clock: () => number;
  config: Pick<Config, 'publicUrl' | 'rainstore'>;
  /** The registry's token realm handler (`/v2/token`), also served as `/app-server/v1/registry/auth`. */
  token: RequestHandler;
  /** Store events (webhooks): installs, listing, deletes. */
  events?: StoreEvents | undefined;
}

export function rainstoreRoutes(deps: RainstoreRoutesDeps): Router {
  const { permissions, stats, clock } = deps;
  const users = userRepository(deps.store);
  const log = deps.log.child({ module: 'rainstore' });
  const market = marketOf(deps.config.rainstore);
  const publicUrl = deps.config.publicUrl;
  const holds = async (repository: string, tag: string): Promise<boolean> =>
    (await deps.registry.meta.tagDigest(repository, tag)) !== undefined;
  const catalog = new Catalog({ repos: deps.repos, permissions });
  const access = new AppAccess(deps.repos, permissions);
  const apps = new AppService({ ...deps, access, log });
  const robots = new Robots({ users, keys: deps.keys, clock });
  const publisher = new VersionPublisher({
    ...deps,
    credentials: sourceCredentialRepository(deps.store),
    log,
  });
  const installs = new InstallCounter({ stats, clock, events: deps.events });

  // Once per request: a wrong key must count as one failed credential, however often it is read.
  const callers = new WeakMap<Request, Promise<RainstoreCaller>>();
  const caller = (req: Request): Promise<RainstoreCaller> => {
    let found = callers.get(req);
    if (!found) callers.set(req, (found = callerOf(req, deps)));
    return found;
  };
  const ctx = (req: Request): DtoContext => ({ market, baseUrl: baseUrlOf(publicUrl, req) });
  const totals = async (id: number) => (await stats.totals([id])).get(id)!;
  const detail = async (req: Request, entry: CatalogEntry) =>
    appDetail(entry, await totals(entry.app.id), ctx(req));
  const installer = (c: RainstoreCaller): string =>
    c.principal.kind === 'user'
      ? `user:${c.principal.userId}:${c.principal.keyId ?? ''}`
      : `anon:${c.address}`;
  const appIdOf = (req: Request): string => {
    const id = String(req.params.appID);
    if (!/^[0-9a-f]{32}$/.test(id))
      log.warn(
        { method: req.method, path: req.path, appID: id },
        'rainstore: appID is not 32 hex characters',
      );
    return id;
  };
  let createTime: string | undefined;

  const router = Router();
  router.use(refuseNulInPath);
  router.use(express.json({ limit: '6mb' }));
  const openapi = Router();
  router.use('/openapi', openapi);

  const cors: RequestHandler = (req, res) => {
    const origin = req.get('origin');
    if (origin)
      res.set({
        'Access-Control-Allow-Origin': origin,
        'Access-Control-Allow-Credentials': 'true',
      });
    if (req.method === 'OPTIONS') {
      res.set({
        'Access-Control-Allow-Methods': 'GET, OPTIONS',
        'Access-Control-Allow-Headers':
          req.get('access-control-request-headers') ?? 'Authorization, Content-Type',
        'Access-Control-Max-Age': '600',
      });
    }
    res.vary('Origin').json({ code: 200, msg: 'ok', isRainstore: true });
  };
  openapi.get('/healthz', cors);
  openapi.options('/healthz', cors);

  openapi.get('/bindablemarkets', async (req, res) => {
    const c = await caller(req);
    if (c.principal.kind !== 'user')
      throw new StoreError('forbidden', 'send a valid access key to bind this store');
    res.json([
      {
        name: market.name,
        url: baseUrlOf(publicUrl, req),
        domain: market.domain,
        logo: '',
        desc: '',
      },
    ]);
  });

  openapi.get('/organizations', (_req, res) => void res.json([]));

  // Every other /openapi call names this store's domain (absent: this store).
  openapi.use((req, _res, next) => {
    const domain = req.query.marketDomain;
    if (domain !== undefined && domain !== market.domain)
      throw new StoreError('not_found', `no market ${String(domain).slice(0, 64)}`);
    next();
  });

  openapi.get('/info', async (req, res) => {
    createTime ??= isoTime((await users.firstCreatedAt()) ?? clock());
    res.json({
      name: market.name,
      description: '',
      status: 1,
      accessActions: accessActionsOf(await caller(req)),
      createTime,
    });
  });

  openapi.get('/apps', async (req, res) => {
    const c = await caller(req);
    const paging = pagingOf(req.query);
    const plugins = queryBoolean(req.query.isPlugin) ?? queryBoolean(req.query.is_plugin) ?? false;
    const found = await catalog.list(c.principal, {
      query: queryString(req.query.query),
      queryAll: queryBoolean(req.query.queryAll) ?? false,
      arch: queryString(req.query.arch),
      plugins,
    });
    const page = pageOf(found, paging);
    const counts = await stats.totals(page.map((e) => e.app.id));
    res.json({
      apps: page.map((e) => appBase(e, counts.get(e.app.id)!, ctx(req))),
      page: paging.page,
      pageSize: paging.pageSize,
      total: found.length,
    });
  });

  openapi.post('/apps', async (req, res) => {
    const c = await caller(req);
    const p = requireRight(c, 'push');
    const input = parseNewApp(req.body);
    const namespace =
      input.orgID && (await permissions.namespace(p, input.orgID, 'manage-apps'))
        ? input.orgID
        : p.name;
    const name = await appSlug(
      input.displayName,
      async (n) => (await access.find({ namespace, name: n })) !== undefined,
    );
    const created = await apps.create(c, { namespace, name }, input.fields);
    if (input.logo) await apps.setLogo(c, { namespace, name }, input.logo);
    res.json(await detail(req, await catalog.visible(p, created.appKey)));
  });

  openapi.get('/apps/platform-plugins', (_req, res) => void res.json({ plugins: [] }));

  openapi.get('/apps/:appID', async (req, res) => {
    res.json(await detail(req, await catalog.visible((await caller(req)).principal, appIdOf(req))));
  });

  openapi.put('/apps/:appID', async (req, res) => {
    const c = await caller(req);
    const { app } = await catalog.visible(c.principal, appIdOf(req));
    requireRight(c, 'push');
    const input = parseAppChange(req.body);
    await apps.update(c, app, input.fields);
    if (input.logo) await apps.setLogo(c, app, input.logo);
    res.json(await detail(req, await catalog.visible(c.principal, app.appKey)));
  });

  openapi.get('/apps/:appID/versions', async (req, res) => {
    const { app, versions } = await catalog.visible((await caller(req)).principal, appIdOf(req));
    res.json({ versions: versions.map((v) => versionBase(app, v)) });
  });

  openapi.post('/apps/:appID/versions', async (req, res) => {
    const c = await caller(req);
    await catalog.visible(c.principal, appIdOf(req));
    const p = requireRight(c, 'push');
    const { app } = await catalog.pushable(p, appIdOf(req));
    // The envelope is free text a person typed and loses any U+0000 as every body parseInput
    // reads; the template is kept as sent, so that the RAM rules refuse a NUL in it, naming where
    // (schemas/ram.ts), rather than store a template other than the one pushed.
    const body: unknown = req.body;
    const sent = isRecord(body) ? body : undefined;
    const b = parseInput(NewVersion, sent ? { ...sent, template: undefined } : body, 'version');
    const template = sent?.template;
    const row = await publisher.publish(
      app,
      {
        version: b.version,
        versionAlias: b.versionAlias ?? '',
        description: b.description ?? '',
        rainbondVersion: b.rainbondVersion ?? '',
        arch: b.arch || 'amd64',
        isPlugin: b.is_plugin ?? b.isPlugin ?? false,
        template,
      },
      {
        principal: p,
        address: c.address,
        hub: hubHostOf(publicUrl, req),
        ownHosts: ownHostsOf(publicUrl, req),
      },
    );
    res.json({ id: String(row.id), ...versionBase(app, row) });
  });

  openapi.get('/apps/:appID/versions/:version', async (req, res) => {
    const c = await caller(req);
    const { app, row } = await catalog.version(
      c.principal,
      appIdOf(req),
      String(req.params.version),
    );
    const forInstall = queryBoolean(req.query.forInstall) ?? false;
    const getTemplate = queryBoolean(req.query.getTemplate) ?? false;
    let template = '';
    if (forInstall || getTemplate) {
      const principal = c.principal;
      if (
        principal.kind !== 'user' ||
        !(await permissions.installApp(principal, app.namespace, app.name))
      ) {
        throw new StoreError(
          'forbidden',
          c.keyRejected
            ? 'the access key is unknown, revoked or expired'
            : 'installing needs an access key with the install scope (ReadInstall)',
        );
      }
      const served = await installTemplate(
        app,
        row,
        hubHostOf(publicUrl, req),
        ownHostsOf(publicUrl, req),
        // forInstall alone serves no template: no secret is minted for it.
        getTemplate ? await deps.pulls.issue(principal, app.id) : null,
        holds,
      );
      if (getTemplate) template = JSON.stringify(served);
      if (forInstall) installs.count(installer(c), app, row.version);
    }
    res.set('Cache-Control', 'no-store').json(versionDetail(app, row, template, ctx(req)));
  });

  openapi.get('/apps/:appID/apphubinfo', async (req, res) => {
    const c = await caller(req);
    await catalog.visible(c.principal, appIdOf(req));
    const p = requireRight(c, 'push');
    const { app } = await catalog.pushable(p, appIdOf(req));
    const credentials = await robots.pushCredentials(app);
    res.set('Cache-Control', 'no-store').json({
      hubURL: hubHostOf(publicUrl, req),
      namespace: repositoryOf(app),
      hubUser: credentials.user,
      hubPassword: credentials.password,
      isTrust: false,
    });
  });

  // Install by command: no Authorization; listed public apps whose images anyone may pull.
  router.get('/markets/:marketId/apps/:appId/version/:version/cmd', async (req, res) => {
    if (req.params.marketId !== market.id && req.params.marketId !== market.domain)
      throw new StoreError('not_found', 'no such market');
    const { app, row, onShelf } = await catalog.version(
      ANONYMOUS,
      String(req.params.appId),
      String(req.params.version),
    );
    if (
      !onShelf ||
      app.publishType !== 'public' ||
      !(await permissions.readApp(ANONYMOUS, app.namespace, app.name))
    ) {
      throw new StoreError(
        'forbidden',
        'this app installs from the market with an access key, not by command',
      );
    }
    const template = await installTemplate(
      app,
      row,
      hubHostOf(publicUrl, req),
      ownHostsOf(publicUrl, req),
      null,
      holds,
    );
    installs.count(`anon:${(await caller(req)).address}`, app, row.version);
    res.set('Cache-Control', 'no-store').json({ cmd: JSON.stringify(template), arch: row.arch });
  });

  router.get('/v1/registry/auth', deps.token);

  router.use(unknownRainstorePath(log));
  router.use(rainstoreErrorHandler(log));
  return router;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
