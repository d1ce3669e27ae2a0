/**
 * The web: the marketplace and store management, rendered on the server by the same process.
 * `pages` serves the web's paths (with its own error pages); `notFound` answers any other GET a
 * browser makes with a 404 page, so it goes last, and leaves the API prefixes alone.
 *
 * Every page is plain HTML that reads without scripts; the one small script (static/app.js)
 * adds copy buttons, the resend countdown, confirmations and auto-submitting selects. Every form
 * posts to a web route here that calls the store's services in process, with a CSRF token.
 */
import express, { Router, type RequestHandler } from 'express';
import { MAX_TEMPLATE_BYTES } from '../../schemas/bundle.js';
import { MAX_LOGO_BYTES, MAX_SCREENSHOT_BYTES } from '../../schemas/names.js';
import { refuseNulInPath } from '../http/nul-path.js';
import { CSRF_FIELD, Csrf } from './csrf.js';
import { webContext, type ContextDeps } from './context.js';
import { notFoundMessage, sendErrorPage, webErrorHandler } from './errors-page.js';
import { field, formOf, readMultipart } from './form.js';
import { adminRoutes } from './pages/admin.js';
import { adminAuditRoutes } from './pages/admin-audit.js';
import { adminAppRoutes } from './pages/admin-apps.js';
import { adminUserRoutes } from './pages/admin-users.js';
import { adminStorageRoutes } from './pages/admin-storage.js';
import { appRoutes } from './pages/app.js';
import { feedRoutes } from './pages/feeds.js';
import { certificationRoutes } from './pages/certification.js';
import { homeRoutes } from './pages/home.js';
import { invitationRoutes } from './pages/invitations.js';
import { keyRoutes } from './pages/keys.js';
import { loginRoutes } from './pages/login.js';
import { manageAppRoutes } from './pages/manage-app.js';
import { myStoreRoutes } from './pages/my-store.js';
import { orgRoutes } from './pages/orgs.js';
import { namespaceWebhookRoutes } from './pages/webhooks.js';
import { namespaceRulesRoutes } from './pages/rules.js';
import { MAX_AVATAR_BYTES, profileRoutes } from './pages/profile.js';
import { publisherRoutes } from './pages/publisher.js';
import { searchRoutes } from './pages/search.js';
import { webServices, type WebDeps } from './services.js';
import { StaticAssets } from './static-assets.js';

export type { WebDeps } from './services.js';

/** Paths of the web (the rest of the site is the API, the registry and the Rainstore API). */
const WEB_PATH =
  /^\/(?:$|search$|apps\/|publishers\/|login$|logout$|certification\/login$|my(?:$|\/)|admin(?:$|\/)|static\/|robots\.txt$)/;
/** Never answered by the web's 404 page: they render their own errors. */
const NOT_WEB = /^\/(?:api|v2|app-server|certification|metrics|healthz|readyz)(?:\/|$)/;

const READ_ONLY_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);
/** A multipart form holds at most the largest upload (an avatar or a logo) and its few fields. */
// A version's template is the largest upload the web takes (schemas/bundle.ts).
const MAX_FORM_BYTES =
  Math.max(MAX_AVATAR_BYTES, MAX_LOGO_BYTES, MAX_SCREENSHOT_BYTES, MAX_TEMPLATE_BYTES) + 16 * 1024;

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: https:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

const securityHeaders: RequestHandler = (_req, res, next) => {
  res.set({
    'Content-Security-Policy': CSP,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'same-origin',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Content-Type': 'text/html; charset=utf-8',
  });
  next();
};

export function webRoutes(deps: WebDeps): { pages: Router; notFound: RequestHandler } {
  const s = webServices(deps);
  const assets = new StaticAssets();
  const contextDeps: ContextDeps = {
    sessions: deps.accounts.sessions,
    csrf: new Csrf(deps.secrets.key('web-csrf.key'), deps.secureCookies, deps.publicUrl),
    assets,
    publicUrl: deps.publicUrl,
  };
  const pages = Router();
  pages.use((req, _res, next) => void next(WEB_PATH.test(req.path) ? undefined : 'router'));
  pages.use(assets.handler);
  pages.get(
    '/robots.txt',
    (_req, res) =>
      void res
        .type('text/plain')
        .send('User-agent: *\nDisallow: /my\nDisallow: /admin\nDisallow: /login\n'),
  );
  pages.use(securityHeaders);
  pages.use(refuseNulInPath);
  // Badges and feeds: before sessions and form tokens, so they set no cookie (caches share them).
  feedRoutes(pages, s);
  pages.use(express.urlencoded({ extended: false, limit: '256kb', parameterLimit: 200 }));
  // Every request that may change something carries the form token, whatever its content type:
  // a multipart body is read here, before any route, so no handler can forget the check.
  pages.use(async (req, res, next) => {
    res.locals.web = await webContext(req, res, contextDeps);
    if (!READ_ONLY_METHODS.has(req.method)) {
      if (req.is('multipart/form-data')) await readMultipart(req, MAX_FORM_BYTES);
      res.locals.web.verifyCsrf(field(formOf(req), CSRF_FIELD));
    }
    next();
  });
  homeRoutes(pages, s);
  searchRoutes(pages, s);
  appRoutes(pages, s);
  publisherRoutes(pages, s);
  loginRoutes(pages, s);
  certificationRoutes(pages, s);
  myStoreRoutes(pages, s);
  invitationRoutes(pages, s);
  orgRoutes(pages, s);
  manageAppRoutes(pages, s);
  namespaceWebhookRoutes(pages, s);
  namespaceRulesRoutes(pages, s);
  keyRoutes(pages, s);
  profileRoutes(pages, s);
  adminRoutes(pages, s);
  adminUserRoutes(pages, s);
  adminAppRoutes(pages, s);
  adminAuditRoutes(pages, s);
  adminStorageRoutes(pages, s);
  pages.use((req, res) => void sendErrorPage(res, res.locals.web, 404, notFoundMessage(req)));
  pages.use(webErrorHandler(deps.log.child({ module: 'web' })));

  const notFound: RequestHandler = async (req, res, next) => {
    if (
      (req.method !== 'GET' && req.method !== 'HEAD') ||
      NOT_WEB.test(req.path) ||
      !req.accepts('html')
    )
      return void next();
    securityHeaders(req, res, () => undefined);
    sendErrorPage(res, await webContext(req, res, contextDeps), 404, notFoundMessage(req));
  };
  return { pages, notFound };
}
