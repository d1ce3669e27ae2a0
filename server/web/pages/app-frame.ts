/**
 * What every tab of an app's pages shares: the app read once for the request (with its versions,
 * its publisher and whether the viewer may edit it), the head with the logo and the name, the
 * tabs (plain links, each with its own URL: they work without script and with the keyboard), and
 * the two columns with the install box at the side.
 */
import type { Request } from 'express';
import type { AppView } from '../../store/app-access.js';
import type { VersionView } from '../../store/app-versions.js';
import type { AppRef } from '../../store/version-index.js';
import { StoreError } from '../../errors.js';
import type { WebContext } from '../context.js';
import { html, type SafeHtml } from '../html.js';
import { renderPage } from '../layout.js';
import type { WebServices } from '../services.js';
import { nounFor } from '../../../schemas/plural.js';
import { installBox } from './install-box.js';
import { appFeedPath, appPath, count, day, logo, manageAppPath, notListed } from './parts.js';

export interface AppPageData {
  ctx: WebContext;
  ref: AppRef;
  app: AppView;
  versions: VersionView[];
  publisher: string;
  manage: boolean;
}

export type AppTab = 'overview' | 'versions' | 'components' | 'template';

const TABS: { tab: AppTab; label: string; path: string }[] = [
  { tab: 'overview', label: 'Overview', path: '' },
  { tab: 'versions', label: 'Versions', path: '/versions' },
  { tab: 'components', label: 'Components', path: '/components' },
  { tab: 'template', label: 'Template', path: '/template' },
];

export function tabPath(app: { namespace: string; name: string }, tab: AppTab): string {
  return appPath(app) + TABS.find((t) => t.tab === tab)!.path;
}

export function versionPath(app: { namespace: string; name: string }, version: string): string {
  return `${appPath(app)}/versions/${encodeURIComponent(version)}`;
}

export async function loadApp(s: WebServices, req: Request, ctx: WebContext): Promise<AppPageData> {
  const p = ctx.principal;
  const ref = { namespace: String(req.params['ns']), name: String(req.params['app']) };
  const app = await s.apps.get(p, ref);
  return {
    ctx,
    ref,
    app,
    versions: await s.versions.list(p, ref),
    publisher: await publisherNameOf(s, app.namespace),
    manage: await s.deps.permissions.changeApp(p, app.namespace, app.name),
  };
}

/** The name a namespace's apps show as their publisher's: its display name, else the namespace. */
export async function publisherNameOf(s: WebServices, namespace: string): Promise<string> {
  return (
    (await s.deps.accounts.users.byName(namespace))?.displayName ||
    (await s.deps.accounts.namespaces.get(namespace))?.displayName ||
    namespace
  );
}

/**
 * The version a tab shows: `?version=` when given (404 when there is no such version to see),
 * else the latest listed one, else the newest the viewer may see (a member's draft).
 */
export function pickVersion(d: AppPageData, wanted: unknown): VersionView | undefined {
  if (typeof wanted === 'string' && wanted !== '') {
    const found = d.versions.find((v) => v.version === wanted);
    if (!found)
      throw new StoreError('not_found', `no version ${wanted} of ${d.app.namespace}/${d.app.name}`);
    return found;
  }
  return d.versions.find((v) => v.version === d.app.latestVersion) ?? d.versions[0];
}

export function renderAppPage(
  d: AppPageData,
  page: {
    tab: AppTab;
    title?: string | undefined;
    description?: string | undefined;
    main: SafeHtml;
    installVersion?: string | undefined;
  },
): string {
  const { ctx, app } = d;
  const name = app.displayName || app.name;
  const body = html`<div class="wrap app-page">
<header class="app-head">
${logo(app, 96)}
<div class="app-head-text">
<h1>${name}</h1>
<p class="app-by">by <a href="/publishers/${encodeURIComponent(app.namespace)}">${d.publisher}</a> · <code>${app.namespace}/${app.name}</code>${app.onShelf ? '' : html` · ${notListed(app.namespace)}`}</p>
${app.summary ? html`<p class="app-summary">${app.summary}</p>` : ''}
${app.mirroredFrom ? html`<p class="app-mirror" data-mirrored-from="${app.mirroredFrom.upstream}">Mirrored from <a href="${app.mirroredFrom.url}" rel="noopener">${app.mirroredFrom.upstream}</a> (${app.mirroredFrom.url}); read-only on this store.</p>` : ''}
<p class="app-stats"><span><strong data-stat="visits">${count(app.visits)}</strong> ${nounFor(app.visits, 'visit')}</span> · <span><strong data-stat="installs">${count(app.installs)}</strong> ${nounFor(app.installs, 'install')}</span> · <span>updated <time datetime="${app.updatedAt}">${day(app.updatedAt)}</time></span></p>
${d.manage ? html`<p><a class="button secondary" href="${manageAppPath(app)}">Edit this app</a></p>` : ''}
</div>
</header>
<nav class="tabs" aria-label="About this app"><ul>${TABS.map(
    (t) =>
      html`<li><a href="${appPath(app)}${t.path}"${t.tab === page.tab ? html` aria-current="page"` : ''}>${t.label}</a></li>`,
  )}</ul></nav>
<div class="app-layout">
<div class="app-main">
${page.main}
</div>
<aside class="app-side" aria-label="Install">
${installBox(ctx, app, d.versions, page.installVersion, ctx.here.split('?')[0] ?? appPath(app))}
</aside>
</div>
</div>`;
  return renderPage(ctx, {
    title: page.title ? `${page.title} · ${name}` : name,
    description:
      page.description || app.summary || `${name} by ${d.publisher}, in the appshelf marketplace.`,
    image: app.logo,
    noindex: !app.onShelf,
    // The feed shows the anonymous view: an app off the shelf has none.
    feed: app.onShelf ? { title: `${name}: new versions`, href: appFeedPath(app) } : undefined,
    body,
  });
}
