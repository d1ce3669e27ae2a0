import { pipeline } from 'node:stream/promises';
import express, { Router, type Request } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Registry } from '../../registry/index.js';
import type { AuditLog } from '../accounts/audit-log.js';
import type { Permissions } from '../auth/permissions.js';
import type { AppRepositories } from '../store/app-repository.js';
import { addressOf } from '../http/authenticate.js';
import { parseInput } from '../http/validate.js';
import { AppAccess, type Caller } from '../store/app-access.js';
import { AppPackages } from '../store/app-packages.js';
import { ModerationRequest } from '../../schemas/moderation.js';
import { VersionRemovalQuery } from '../../schemas/version-removal.js';
import {
  APP_NAME,
  APP_NAME_MAX,
  APP_NAME_RULE,
  MAX_LOGO_BYTES,
  MAX_SCREENSHOT_BYTES,
  MAX_SCREENSHOT_CAPTION,
  PACKAGE_NAME,
  PACKAGE_NAME_RULE,
} from '../../schemas/names.js';
import type { AppScreenshots } from '../store/app-screenshots.js';
import { StoreError } from '../errors.js';
import { AppService } from '../store/app-service.js';
import { AppVersions } from '../store/app-versions.js';
import { visitorOf, type AppStats } from '../store/stats.js';
import type { AppRef, VersionIndex } from '../store/version-index.js';
import type { StoreEvents } from '../webhooks/store-events.js';

/** An app's name is one OCI path component (it is the second part of the repository name). */
const AppName = z.string().min(1).max(APP_NAME_MAX).regex(APP_NAME, `must be ${APP_NAME_RULE}`);
const Label = z.string().trim().min(1).max(32);
const WebUrl = z.union([z.literal(''), z.url({ protocol: /^https?$/ }).max(500)]);

const AppFields = {
  displayName: z.string().trim().max(64).optional(),
  summary: z.string().trim().max(256).optional(),
  introduction: z
    .string()
    .refine((s) => Buffer.byteLength(s, 'utf8') <= 64 * 1024, 'must be at most 64 KiB')
    .optional(),
  tags: z.array(Label).max(10).optional(),
  categories: z.array(Label).max(10).optional(),
  sourceUrl: WebUrl.optional(),
  homeUrl: WebUrl.optional(),
  publishType: z.enum(['public', 'private']).optional(),
};
export const NewApp = z.strictObject({
  namespace: z.string().min(1).max(64),
  name: AppName,
  ...AppFields,
});
export const AppChange = z.strictObject(AppFields);
export const Shelf = z.strictObject({ listed: z.boolean() });
export const NewPackage = z.strictObject({
  name: z.string().regex(PACKAGE_NAME, `must be ${PACKAGE_NAME_RULE}`),
  type: z.literal('free').default('free'),
  versions: z.array(z.string().min(1).max(128)).min(1).max(100),
});
export const ScreenshotQuery = z.strictObject({
  caption: z.string().max(MAX_SCREENSHOT_CAPTION).default(''),
});
export const StatsQuery = z.strictObject({
  days: z.coerce.number().int().min(1).max(365).default(30),
});

export interface AppRoutesDeps {
  repos: AppRepositories;
  registry: Registry;
  versions: VersionIndex;
  permissions: Permissions;
  stats: AppStats;
  audit: AuditLog;
  log: Logger;
  clock: () => number;
  /** config.publicUrl: its host names the store in install templates (else the request's Host). */
  publicUrl?: string | undefined;
  /** Store events (webhooks). */
  events?: StoreEvents | undefined;
  screenshots: AppScreenshots;
}

/** /api/v1/apps: apps, their logo, versions, install templates, packages, shelf and statistics. */
export function appRoutes(deps: AppRoutesDeps): Router {
  const access = new AppAccess(deps.repos, deps.permissions);
  const apps = new AppService({ ...deps, access, log: deps.log.child({ module: 'store.apps' }) });
  const versions = new AppVersions({ ...deps, access });
  const packages = new AppPackages({ ...deps, access });
  const publicHost = deps.publicUrl ? new URL(deps.publicUrl).host : undefined;
  const router = Router();

  const ref = (req: Request): AppRef => ({
    namespace: String(req.params.ns),
    name: String(req.params.app),
  });
  const caller = (req: Request, principal: Caller['principal']): Caller => ({
    principal,
    address: addressOf(req),
  });

  router.post('/', async (req, res) => {
    const { namespace, name, ...fields } = parseInput(NewApp, req.body, 'app');
    res
      .status(201)
      .json(await apps.create(caller(req, res.locals.principal), { namespace, name }, fields));
  });

  router.get('/:ns/:app', async (req, res) => {
    res.json(await apps.get(res.locals.principal, ref(req)));
  });

  router.patch('/:ns/:app', async (req, res) => {
    const change = parseInput(AppChange, req.body, 'app change');
    res.json(await apps.update(caller(req, res.locals.principal), ref(req), change));
  });

  router.delete('/:ns/:app', async (req, res) => {
    await apps.remove(caller(req, res.locals.principal), ref(req));
    res.status(204).end();
  });

  router.put(
    '/:ns/:app/logo',
    express.raw({ type: () => true, limit: MAX_LOGO_BYTES }),
    async (req, res) => {
      const bytes = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      res.json(await apps.setLogo(caller(req, res.locals.principal), ref(req), bytes));
    },
  );

  const { screenshots } = deps;
  const screenshotId = (req: Request): number => {
    const id = Number(req.params.screenshot);
    if (!Number.isSafeInteger(id) || id < 1)
      throw new StoreError('not_found', 'no such screenshot');
    return id;
  };

  router.get('/:ns/:app/screenshots', async (req, res) => {
    res.json({ items: await screenshots.list(res.locals.principal, ref(req)) });
  });

  // The image is the body (as the logo's), its caption the `caption` query parameter.
  router.post(
    '/:ns/:app/screenshots',
    express.raw({ type: () => true, limit: MAX_SCREENSHOT_BYTES }),
    async (req, res) => {
      const { caption } = parseInput(ScreenshotQuery, req.query, 'screenshot');
      const bytes = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const added = await screenshots.add(
        caller(req, res.locals.principal),
        ref(req),
        bytes,
        caption,
      );
      res.status(201).json(added);
    },
  );

  router.get('/:ns/:app/screenshots/:screenshot', async (req, res) => {
    const image = await screenshots.image(res.locals.principal, ref(req), screenshotId(req));
    res.set({
      'Content-Type': image.type,
      'Cache-Control': 'public, max-age=300',
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': "default-src 'none'",
    });
    await pipeline(image.body, res);
  });

  router.delete('/:ns/:app/screenshots/:screenshot', async (req, res) => {
    await screenshots.remove(caller(req, res.locals.principal), ref(req), screenshotId(req));
    res.status(204).end();
  });

  router.get('/:ns/:app/logo', async (req, res) => {
    const logo = await apps.logo(res.locals.principal, ref(req));
    res.set({
      'Content-Type': logo.type,
      'Cache-Control': 'public, max-age=300',
      'X-Content-Type-Options': 'nosniff',
    });
    if (logo.type === 'image/svg+xml')
      res.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'");
    await pipeline(logo.body, res);
  });

  router.put('/:ns/:app/shelf', async (req, res) => {
    const { listed } = parseInput(Shelf, req.body, 'shelf');
    res.json(await apps.setListed(caller(req, res.locals.principal), ref(req), listed));
  });

  // Administrators only (AppService.moderate checks): unlist or take down with a reason, restore.
  router.post('/:ns/:app/moderation', async (req, res) => {
    const request = parseInput(ModerationRequest, req.body, 'moderation');
    res.json(await apps.moderate(caller(req, res.locals.principal), ref(req), request));
  });

  router.post('/:ns/:app/visit', async (req, res) => {
    const p = res.locals.principal;
    const visitor = visitorOf(
      p.kind === 'user' ? p.userId : undefined,
      addressOf(req),
      req.get('user-agent') ?? '',
    );
    res.json(await apps.visit(p, ref(req), visitor));
  });

  router.get('/:ns/:app/stats', async (req, res) => {
    const { days } = parseInput(StatsQuery, req.query, 'query');
    res.json(await apps.statistics(res.locals.principal, ref(req), days));
  });

  router.get('/:ns/:app/versions', async (req, res) => {
    res.json({ versions: await versions.list(res.locals.principal, ref(req)) });
  });

  router.get('/:ns/:app/versions/:version', async (req, res) => {
    res.json(await versions.get(res.locals.principal, ref(req), req.params.version));
  });

  // What else goes is the answer: the packages that lose the version, the shelf (dryRun: only
  // the answer).
  router.delete('/:ns/:app/versions/:version', async (req, res) => {
    const { dryRun } = parseInput(VersionRemovalQuery, req.query, 'version deletion');
    const [who, app, version] = [caller(req, res.locals.principal), ref(req), req.params.version];
    res.json(
      dryRun === 'true'
        ? await versions.removal(who, app, version)
        : await versions.remove(who, app, version),
    );
  });

  router.get('/:ns/:app/versions/:version/install', async (req, res) => {
    const host = publicHost ?? req.get('host') ?? 'localhost';
    const template = await versions.install(
      res.locals.principal,
      ref(req),
      req.params.version,
      host,
    );
    res.set('Cache-Control', 'no-store').json(template);
  });

  router.get('/:ns/:app/packages', async (req, res) => {
    res.json({ packages: await packages.list(res.locals.principal, ref(req)) });
  });

  router.post('/:ns/:app/packages', async (req, res) => {
    const input = parseInput(NewPackage, req.body, 'package');
    res.status(201).json(await packages.create(caller(req, res.locals.principal), ref(req), input));
  });

  router.delete('/:ns/:app/packages/:name', async (req, res) => {
    await packages.remove(caller(req, res.locals.principal), ref(req), req.params.name);
    res.status(204).end();
  });
  return router;
}
