/** An app's page: what it is, its versions and components, how to install it, its statistics. */
import type { Router } from 'express';
import { addressOf } from '../../http/authenticate.js';
import type { AppView } from '../../store/app-access.js';
import type { VersionView } from '../../store/app-versions.js';
import { visitorOf } from '../../store/stats.js';
import { statsChart } from '../chart.js';
import type { WebContext } from '../context.js';
import { html, type SafeHtml } from '../html.js';
import { renderPage } from '../layout.js';
import { renderMarkdown } from '../markdown.js';
import type { WebServices } from '../services.js';
import { nounFor } from '../../../schemas/plural.js';
import { count, day, logo, manageAppPath, notListed } from './parts.js';

/** Versions shown with their components (the newest ones); the rest are listed by name. */
const DETAILED_VERSIONS = 5;

interface Component {
  serviceKey: string;
  name: string;
  imageDigest: string | null;
  sourceRef: string;
}

export function appRoutes(router: Router, s: WebServices): void {
  router.get('/apps/:ns/:app', (req, res) => {
    const ctx = res.locals.web;
    const p = ctx.principal;
    const ref = { namespace: String(req.params.ns), name: String(req.params.app) };
    s.apps.visit(
      p,
      ref,
      visitorOf(
        p.kind === 'user' ? p.userId : undefined,
        addressOf(req),
        req.get('user-agent') ?? '',
      ),
    );
    const app = s.apps.get(p, ref);
    const versions = s.versions.list(p, ref);
    const detailed = versions
      .filter((v) => v.state !== 'draft')
      .slice(0, DETAILED_VERSIONS)
      .map((v) => ({
        version: v,
        components: (s.versions.get(p, ref, v.version) as { components: Component[] }).components,
      }));
    const stats = s.apps.statistics(p, ref, 30);
    const publisher =
      s.deps.accounts.users.byName(app.namespace)?.displayName ||
      s.deps.accounts.namespaces.get(app.namespace)?.displayName ||
      app.namespace;
    const manage = s.deps.permissions.changeApp(p, app.namespace, app.name);
    const body = html`<div class="wrap app-page">
<header class="app-head">
${logo(app, 96)}
<div>
<h1>${app.displayName || app.name}</h1>
<p class="app-by">by <a href="/publishers/${encodeURIComponent(app.namespace)}">${publisher}</a> · <code>${app.namespace}/${app.name}</code>${app.onShelf ? '' : html` · ${notListed(app.namespace)}`}</p>
${app.summary ? html`<p class="app-summary">${app.summary}</p>` : ''}
${app.mirroredFrom ? html`<p class="app-mirror" data-mirrored-from="${app.mirroredFrom.upstream}">Mirrored from <a href="${app.mirroredFrom.url}" rel="noopener">${app.mirroredFrom.upstream}</a> (${app.mirroredFrom.url}); read-only on this store.</p>` : ''}
<p class="app-stats"><span><strong data-stat="visits">${count(app.visits)}</strong> ${nounFor(app.visits, 'visit')}</span> · <span><strong data-stat="installs">${count(app.installs)}</strong> ${nounFor(app.installs, 'install')}</span> · <span>updated <time datetime="${app.updatedAt}">${day(app.updatedAt)}</time></span></p>
${manage ? html`<p><a class="button secondary" href="${manageAppPath(app)}">Edit this app</a></p>` : ''}
</div>
</header>
<div class="app-layout">
<div class="app-main">
<section aria-labelledby="intro-h"><h2 id="intro-h">Introduction</h2>
${app.introduction.trim() ? html`<div class="markdown">${renderMarkdown(app.introduction)}</div>` : html`<p class="empty">The publisher has not written an introduction yet.</p>`}
</section>
<section aria-labelledby="versions-h"><h2 id="versions-h">Versions</h2>
${versions.length ? versionsTable(versions, detailed, ctx, app) : html`<p class="empty">No versions yet.</p>`}
</section>
<section aria-labelledby="stats-h"><h2 id="stats-h">Visits and installs</h2>
${statsChart(stats.days)}
</section>
</div>
<aside class="app-side">
${install(ctx, app)}
${
  app.tags.length || app.categories.length
    ? html`<section aria-labelledby="tags-h"><h2 id="tags-h">Tags</h2><ul class="chips">
${app.categories.map((c) => html`<li><a href="/search?category=${encodeURIComponent(c)}">${c}</a></li>`)}
${app.tags.map((t) => html`<li><a href="/search?tag=${encodeURIComponent(t)}">${t}</a></li>`)}</ul></section>`
    : ''
}
${links(app)}
</aside>
</div>
</div>`;
    res.send(
      renderPage(ctx, {
        title: app.displayName || app.name,
        description:
          app.summary ||
          `${app.displayName || app.name} by ${publisher}, in the appshelf marketplace.`,
        image: app.logo,
        noindex: !app.onShelf,
        body,
      }),
    );
  });
}

function versionsTable(
  versions: VersionView[],
  detailed: { version: VersionView; components: Component[] }[],
  ctx: WebContext,
  app: AppView,
): SafeHtml {
  const details = new Map(detailed.map((d) => [d.version.version, d.components]));
  return html`<ul class="versions">${versions.map((v) => {
    const parts = details.get(v.version);
    return html`<li class="version">
<div class="version-head"><strong>${v.version}</strong>${v.alias ? html` <span class="alias">${v.alias}</span>` : ''} ${v.state !== 'ready' ? html`<span class="badge">${v.state}</span>` : ''}
<time datetime="${v.createdAt}">${day(v.createdAt)}</time>${v.arch ? html` · ${v.arch}` : ''}${v.rainbondVersion ? html` · Rainbond ${v.rainbondVersion}` : ''}</div>
${v.description ? html`<p>${v.description}</p>` : ''}
${
  parts?.length
    ? html`<details><summary>${parts.length} ${parts.length === 1 ? 'component' : 'components'}</summary><ul class="components">${parts.map(
        (c) =>
          html`<li><strong>${c.name || c.serviceKey}</strong><br><span class="mono">${c.imageDigest ? `${ctx.host}/${app.namespace}/${app.name}@${c.imageDigest}` : c.sourceRef}</span>${c.imageDigest && c.sourceRef ? html`<br><span class="muted">from <span class="mono">${c.sourceRef}</span></span>` : ''}</li>`,
      )}</ul></details>`
    : ''
}
</li>`;
  })}</ul>`;
}

function install(ctx: WebContext, app: AppView): SafeHtml {
  if (!app.latestVersion)
    return html`<section aria-labelledby="install-h"><h2 id="install-h">Install</h2><p class="empty">There is no version to install yet.</p></section>`;
  const reference = `${ctx.host}/${app.namespace}/${app.name}:${app.latestVersion}`;
  return html`<section aria-labelledby="install-h" class="install"><h2 id="install-h">Install</h2>
<h3 class="small">Reference</h3>
${copyable(reference, 'ref')}
<h3 class="small">With the appshelf command</h3>
${copyable(`appshelf install ${reference}`, 'cli')}
<h3 class="small">From a Rainbond console</h3>
<ol class="steps">
<li>In the console open <em>Platform management → App market</em> and add a store.</li>
<li>Enter the store’s address: ${copyable(ctx.baseUrl, 'store-url')}</li>
<li>Sign in when the console asks, and allow it an access key (the <em>read</em> and <em>install</em> scopes are enough).</li>
<li>Find <strong>${app.displayName || app.name}</strong> in that market and install version ${app.latestVersion}.</li>
</ol>
</section>`;
}

function copyable(text: string, id: string): SafeHtml {
  return html`<div class="copy-row"><code id="copy-${id}" class="copy-text">${text}</code><button type="button" class="copy" data-copy="copy-${id}" hidden>Copy</button></div>`;
}

function links(app: AppView): SafeHtml {
  const web = (u: string): boolean => /^https?:\/\//i.test(u);
  const items = [
    app.homeUrl && web(app.homeUrl)
      ? html`<li><a href="${app.homeUrl}" rel="nofollow noopener ugc">Home page</a></li>`
      : '',
    app.sourceUrl && web(app.sourceUrl)
      ? html`<li><a href="${app.sourceUrl}" rel="nofollow noopener ugc">Source code</a></li>`
      : '',
  ].filter(Boolean);
  return items.length
    ? html`<section aria-labelledby="links-h"><h2 id="links-h">Links</h2><ul class="links">${items}</ul></section>`
    : html``;
}
