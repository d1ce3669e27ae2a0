/**
 * What other sites and feed readers fetch of the store: README badges and Atom feeds.
 *
 * - `/apps/{ns}/{app}/badge.svg`: "appshelf | <latest version>" (the version the app page calls
 *   latest); `/apps/{ns}/{app}/installs.svg`: "installs | 1.2k". Both take `?label=`.
 * - `/apps/{ns}/{app}/feed.atom` and `/publishers/{name}/feed.atom`: the newest installable
 *   versions of the app, or of all the publisher's apps.
 *
 * They show what anyone may see (the anonymous view, whoever asks), so every reader and cache
 * gets the same answer; they are routed before the web's session and form-token handling, so
 * they set no cookie. An app off the shelf is not found: a feed answers the web's 404 page, a
 * badge a grey "not found" badge with status 404 (the same for an app that does not exist).
 */
import type { NextFunction, Request, Response, Router } from 'express';
import { z } from 'zod';
import { ANONYMOUS } from '../../auth/principal.js';
import { StoreError } from '../../errors.js';
import { ATOM_TYPE, renderAtom } from '../atom.js';
import { BADGE_COLORS, MAX_BADGE_TEXT, renderBadge } from '../badge.js';
import { sendCacheable } from '../cacheable.js';
import { baseUrlOf } from '../context.js';
import { SITE_NAME } from '../layout.js';
import { appReleases, publisherReleases, type Release } from '../releases.js';
import type { WebServices } from '../services.js';
import { versionPath } from './app-frame.js';
import { appFeedPath, appPath, count, publisherFeedPath } from './parts.js';

const SVG_TYPE = 'image/svg+xml; charset=utf-8';
/** Seconds a README's image proxy or a feed reader may keep an answer before asking again. */
const MAX_AGE = 300;
const MISSING_MAX_AGE = 60;

const BadgeQuery = z.looseObject({
  /** Empty: the default label. */
  label: z.string().trim().max(MAX_BADGE_TEXT).optional(),
});

export function feedRoutes(router: Router, s: WebServices): void {
  const base = (req: Request) => baseUrlOf(s.deps.publicUrl, req);

  for (const kind of ['version', 'installs'] as const)
    router.get(
      `/apps/:ns/:app/${kind === 'version' ? 'badge' : 'installs'}.svg`,
      async (req, res) => {
        const query = BadgeQuery.safeParse(req.query);
        const label = query.success ? query.data.label : undefined;
        const badge = (status: number, message: string, color: string) =>
          sendCacheable(req, res, {
            type: SVG_TYPE,
            status,
            maxAge: status === 200 ? MAX_AGE : MISSING_MAX_AGE,
            body: renderBadge({
              label: label || (kind === 'version' ? SITE_NAME : 'installs'),
              message,
              color,
            }),
          });
        if (!query.success) return badge(400, 'invalid label', BADGE_COLORS.missing);
        let app;
        try {
          app = await s.apps.get(ANONYMOUS, refOf(req));
        } catch (err) {
          if (!notFound(err)) throw err;
          return badge(404, 'not found', BADGE_COLORS.missing);
        }
        if (kind === 'installs') return badge(200, count(app.installs), BADGE_COLORS.installs);
        badge(200, app.latestVersion ?? 'no version', BADGE_COLORS.version);
      },
    );

  router.get('/apps/:ns/:app/feed.atom', async (req, res, next) => {
    const got = await orNext(next, () => appReleases(s, refOf(req)));
    if (!got) return;
    const { app, publisher, releases } = got;
    const b = base(req);
    const title = app.displayName || app.name;
    send(req, res, {
      self: b + appFeedPath(app),
      alternate: b + appPath(app),
      title: `${title}: new versions`,
      subtitle: app.summary || `New versions of ${title} on ${b}.`,
      author: { name: publisher, uri: b + publisherPath(app.namespace) },
      updatedWhenEmpty: app.createdAt,
      logo: app.logo ? b + app.logo : undefined,
      entries: releases.map((r) => entry(b, r)),
    });
  });

  router.get('/publishers/:name/feed.atom', async (req, res, next) => {
    const got = await orNext(next, () => publisherReleases(s, String(req.params.name)));
    if (!got) return;
    const b = base(req);
    send(req, res, {
      self: b + publisherFeedPath(got.name),
      alternate: b + publisherPath(got.name),
      title: `${got.title}: new versions`,
      subtitle: `New versions of the apps of ${got.title} on ${b}.`,
      author: { name: got.title, uri: b + publisherPath(got.name) },
      updatedWhenEmpty: got.createdAt,
      entries: got.releases.map((r) => entry(b, r)),
    });
  });
}

function send(req: Request, res: Response, feed: Parameters<typeof renderAtom>[0]): void {
  const { body, updated } = renderAtom(feed);
  sendCacheable(req, res, {
    type: ATOM_TYPE,
    body,
    maxAge: MAX_AGE,
    lastModified: new Date(updated),
  });
}

function entry(base: string, r: Release) {
  return {
    ...r,
    url: base + versionPath(r.ref, r.version),
    authorUri: base + publisherPath(r.ref.namespace),
  };
}

function publisherPath(name: string): string {
  return `/publishers/${encodeURIComponent(name)}`;
}

function refOf(req: Request) {
  return { namespace: String(req.params['ns']), name: String(req.params['app']) };
}

function notFound(err: unknown): boolean {
  return err instanceof StoreError && err.code === 'not_found';
}

/** The value, or undefined after passing the request on to the web's 404 page when not found. */
async function orNext<T>(next: NextFunction, read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    if (!notFound(err)) throw err;
    next();
    return undefined;
  }
}
