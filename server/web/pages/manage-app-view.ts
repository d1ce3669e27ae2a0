/** The page for editing one's app (see manage-app.ts for what its forms do). */
import { LOGO_RULE } from '../../../schemas/names.js';
import type { AppView } from '../../store/app-access.js';
import type { VersionView } from '../../store/app-versions.js';
import type { WebContext } from '../context.js';
import { html, type SafeHtml } from '../html.js';
import { csrfField, notice, renderPage } from '../layout.js';
import { renderMarkdown } from '../markdown.js';
import type { WebServices } from '../services.js';
import { appPath, day, logo, manageAppPath, notListed } from './parts.js';
import { type HookWithDeliveries, webhooksSection } from './webhooks-view.js';

/** The texts as typed into the form (kept when the form is shown again). */
export interface Draft {
  displayName: string;
  summary: string;
  introduction: string;
  tags: string;
  categories: string;
  homeUrl: string;
  sourceUrl: string;
}

export interface ManageAppState {
  app: AppView;
  versions: VersionView[];
  error?: string;
  done?: string;
  draft?: Draft;
  preview: boolean;
  /** The app's hooks, for those who may manage the namespace's (hooksOf); else undefined. */
  hooks: HookWithDeliveries[] | undefined;
}

export function renderManageApp(ctx: WebContext, s: WebServices, st: ManageAppState): string {
  const { app } = st;
  const d: Draft = st.draft ?? {
    displayName: app.displayName,
    summary: app.summary,
    introduction: app.introduction,
    tags: app.tags.join(', '),
    categories: app.categories.join(', '),
    homeUrl: app.homeUrl,
    sourceUrl: app.sourceUrl,
  };
  const action = (rest: string): string => manageAppPath(app, rest);
  const body = html`<div class="wrap manage-app">
<p class="crumbs"><a href="/my">My store</a> › <code>${app.namespace}/${app.name}</code></p>
<header class="app-head">${logo(app, 64)}<div><h1>${app.displayName || app.name}</h1>
<p class="muted">${app.onShelf ? html`<span class="badge ok">on the shelf</span>` : notListed(app.namespace)} · <a href="${appPath(app)}">View its page</a></p></div></header>
${notice(st.error, 'error')}${notice(st.done)}
<section aria-labelledby="shelf-h" class="box"><h2 id="shelf-h">Shelf</h2>
${shelf(ctx, app, action)}
</section>
<section aria-labelledby="details-h"><h2 id="details-h">Details</h2>
<form method="post" action="${action('')}" class="stack">${csrfField(ctx)}
<label for="displayName">Display name</label><input id="displayName" name="displayName" maxlength="64" value="${d.displayName}">
<label for="summary">Summary</label><input id="summary" name="summary" maxlength="256" value="${d.summary}" aria-describedby="summary-help">
<p id="summary-help" class="help">One sentence shown in search results.</p>
<label for="introduction">Introduction <span class="muted">(markdown)</span></label>
<textarea id="introduction" name="introduction" rows="12" aria-describedby="intro-help">${d.introduction}</textarea>
<p id="intro-help" class="help">Markdown: headings, lists, links, code, images from https addresses. HTML is shown as text.</p>
<label for="tags">Tags</label><input id="tags" name="tags" value="${d.tags}" aria-describedby="tags-help">
<p id="tags-help" class="help">Separated by commas; at most 10.</p>
<label for="categories">Categories</label><input id="categories" name="categories" value="${d.categories}" aria-describedby="cat-help">
<p id="cat-help" class="help">Separated by commas, e.g. database, monitoring.</p>
<label for="homeUrl">Home page</label><input id="homeUrl" name="homeUrl" type="url" value="${d.homeUrl}" placeholder="https://">
<label for="sourceUrl">Source code</label><input id="sourceUrl" name="sourceUrl" type="url" value="${d.sourceUrl}" placeholder="https://">
<div class="buttons"><button type="submit" name="action" value="save">Save</button><button type="submit" name="action" value="preview" class="secondary">Preview the introduction</button></div>
</form>
${st.preview ? html`<section aria-labelledby="preview-h" class="preview"><h3 id="preview-h">Preview (not saved yet)</h3><div class="markdown">${renderMarkdown(d.introduction)}</div></section>` : ''}
</section>
<section aria-labelledby="logo-h"><h2 id="logo-h">Logo</h2>
<form method="post" action="${action('/logo')}" enctype="multipart/form-data" class="stack">${csrfField(ctx)}
<label for="logo">Image (${LOGO_RULE}; square looks best)</label>
<input id="logo" name="logo" type="file" accept="image/png,image/jpeg,image/svg+xml" required>
<div class="buttons"><button type="submit">Upload the logo</button></div>
</form>
</section>
<section aria-labelledby="versions-h"><h2 id="versions-h">Versions</h2>
${versions(ctx, s, st, action)}
</section>
<section aria-labelledby="packages-h"><h2 id="packages-h">Packages</h2>
${packages(ctx, st, action)}
</section>
${appWebhooks(ctx, st.hooks, app, action)}
</div>`;
  return renderPage(ctx, {
    title: `Edit ${app.displayName || app.name}`,
    description: `Edit ${app.namespace}/${app.name}.`,
    noindex: true,
    body,
  });
}

/** Shown to those who may manage the namespace's hooks (owners, admins); maintainers do not see it. */
function appWebhooks(
  ctx: WebContext,
  list: HookWithDeliveries[] | undefined,
  app: AppView,
  action: (rest: string) => string,
): SafeHtml {
  if (!list) return html``;
  return html`${webhooksSection(ctx, list, action('/webhooks'), `${app.namespace}/${app.name}`)}
<p class="help">Hooks for every app of ${app.namespace}: <a href="/my/namespaces/${encodeURIComponent(app.namespace)}/webhooks">${app.namespace}’s webhooks</a>.</p>`;
}

function shelf(ctx: WebContext, app: AppView, action: (rest: string) => string): SafeHtml {
  const status = app.onShelf
    ? 'Listed, with a package: everyone sees it in the marketplace.'
    : app.listed
      ? 'Listed, but it has no package yet: create one below to put it on the shelf.'
      : app.packages.length
        ? 'It has a package but is not listed: only you and your namespace’s members see it.'
        : 'Not listed and without a package: only you and your namespace’s members see it.';
  return html`<p>${status}</p>
<form method="post" action="${action('/shelf')}" class="inline">${csrfField(ctx)}<input type="hidden" name="listed" value="${app.listed ? 'false' : 'true'}">
<button type="submit"${app.listed ? html` class="secondary"` : ''}>${app.listed ? 'Take it off the shelf' : 'Put it on the shelf'}</button></form>`;
}

function versions(
  ctx: WebContext,
  s: WebServices,
  st: ManageAppState,
  action: (rest: string) => string,
): SafeHtml {
  if (!st.versions.length)
    return html`<p class="empty">No versions yet. Push one: <code>appshelf push template.json ${ctx.host}/${st.app.namespace}/${st.app.name}:1.0.0</code></p>`;
  const v = (name: string): string => `/versions/${encodeURIComponent(name)}`;
  return html`<div class="table-scroll"><table class="data">
<caption class="visually-hidden">Versions of ${st.app.name}</caption>
<thead><tr><th scope="col">Version</th><th scope="col">State</th><th scope="col">Created</th><th scope="col">Actions</th></tr></thead>
<tbody>${st.versions.map(
    (
      x,
    ) => html`<tr><th scope="row">${x.version}${x.alias ? html` <span class="alias">${x.alias}</span>` : ''}</th><td><span class="badge${x.state === 'ready' ? ' ok' : ''}">${x.state}</span></td><td><time datetime="${x.createdAt}">${day(x.createdAt)}</time></td>
<td class="actions">
${x.state === 'draft' || x.state === 'failed' ? (s.deps.sync ? publishForm(ctx, action(`${v(x.version)}/publish`), x.version) : html`<span class="muted">publishing is not set up</span>`) : ''}
<form method="post" action="${action(`${v(x.version)}/delete`)}" class="inline" data-confirm="Delete version ${x.version}? Its tag goes from the registry.">${csrfField(ctx)}<button type="submit" class="danger">Delete<span class="visually-hidden"> ${x.version}</span></button></form>
</td></tr>`,
  )}</tbody></table></div>`;
}

function packages(ctx: WebContext, st: ManageAppState, action: (rest: string) => string): SafeHtml {
  const ready = st.versions.filter((x) => x.state === 'ready');
  return html`${
    st.app.packages.length
      ? html`<ul class="packages">${st.app.packages.map(
          (
            p,
          ) => html`<li><strong>${p.name}</strong> <span class="badge">${p.type}</span> covers ${p.versions.join(', ')}
<form method="post" action="${action(`/packages/${encodeURIComponent(p.name)}/delete`)}" class="inline" data-confirm="Delete package ${p.name}?">${csrfField(ctx)}<button type="submit" class="danger small">Delete<span class="visually-hidden"> package ${p.name}</span></button></form></li>`,
        )}</ul>`
      : html`<p class="empty">No packages. An app is on the shelf when it is listed and has a package.</p>`
  }
${
  ready.length
    ? html`<form method="post" action="${action('/packages')}" class="stack inline-fields">${csrfField(ctx)}
<div><label for="pkg-version">Free package of version</label><select id="pkg-version" name="version">${ready.map((x) => html`<option value="${x.version}">${x.version}</option>`)}</select></div>
<button type="submit">Create package</button></form>`
    : html`<p class="help">A package needs a version that is ready to install.</p>`
}`;
}

/** Publishing copies the draft's images from their registries; a private one needs credentials (kept in memory only). */
function publishForm(ctx: WebContext, action: string, version: string): SafeHtml {
  const id = `pub-${version.replace(/[^a-zA-Z0-9_-]/g, '_')}`;
  return html`<form method="post" action="${action}" class="publish">${csrfField(ctx)}
<button type="submit">Publish<span class="visually-hidden"> ${version}</span></button>
<details><summary>Source registry login</summary>
<label for="${id}-registry">Registry (host[:port])</label><input id="${id}-registry" name="registry" placeholder="docker.io">
<label for="${id}-username">User name</label><input id="${id}-username" name="username" autocomplete="off">
<label for="${id}-password">Password or token</label><input id="${id}-password" name="password" type="password" autocomplete="off">
</details></form>`;
}
