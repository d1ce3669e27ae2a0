/**
 * The tabs of an app's pages: Overview, Versions (and one version's own page), Components (with
 * the dependency graph) and Template (highlighted, with the raw download). The template shown is
 * the one the store serves (`AppVersions.get`): registry credentials never reach it.
 */
import type { ScreenshotView } from '../../store/app-screenshots.js';
import type { StatDay } from '../../store/stats.js';
import type { VersionView } from '../../store/app-versions.js';
import { changelogOf } from '../changelog.js';
import { statsChart } from '../chart.js';
import { dependencyGraph } from '../dep-graph.js';
import { html, trusted, type SafeHtml } from '../html.js';
import { SITE_NAME } from '../layout.js';
import { imageSizes, type PlatformSize } from '../image-sizes.js';
import { highlightJson } from '../json-highlight.js';
import { renderMarkdown } from '../markdown.js';
import { componentsOf, type ComponentFacts } from '../ram-facts.js';
import type { WebServices } from '../services.js';
import { plural } from '../../../schemas/plural.js';
import { tabPath, versionPath, type AppPageData } from './app-frame.js';
import { copyable } from './install-box.js';
import { appFeedPath, appPath, badgePath, bytes, day } from './parts.js';

/** One version as its pages show it: the template's components with their images' sizes. */
export interface VersionDetail {
  version: VersionView;
  template: unknown;
  changelog: string;
  components: (ComponentFacts & {
    imageDigest: string | null;
    sourceRef: string;
    sizes: PlatformSize[];
  })[];
  /** Bytes of every component image over every platform; null while a component has no image yet. */
  size: number | null;
}

export async function versionDetail(
  s: WebServices,
  d: AppPageData,
  version: string,
): Promise<VersionDetail> {
  const got = await s.versions.get(d.ctx.principal, d.ref, version);
  const stored = new Map(got.components.map((c) => [c.serviceKey, c]));
  const repository = `${d.app.namespace}/${d.app.name}`;
  const components: VersionDetail['components'] = [];
  for (const facts of componentsOf(got.template)) {
    const row = stored.get(facts.serviceKey);
    const imageDigest = row?.imageDigest ?? null;
    components.push({
      ...facts,
      name: facts.name || row?.name || facts.serviceKey,
      imageDigest,
      sourceRef: row?.sourceRef ?? '',
      sizes: imageDigest ? await imageSizes(s.deps.registry.meta, repository, imageDigest) : [],
    });
  }
  const size = components.every((c) => c.sizes.length)
    ? components.reduce((n, c) => n + c.sizes.reduce((m, p) => m + p.bytes, 0), 0)
    : null;
  return {
    version: got,
    template: got.template,
    changelog: changelogOf(got.description, got.template),
    components,
    size,
  };
}

export function overviewTab(
  d: AppPageData,
  days: StatDay[],
  screenshots: ScreenshotView[],
): SafeHtml {
  const { app } = d;
  return html`<section aria-labelledby="intro-h"><h2 id="intro-h">Introduction</h2>
${app.introduction.trim() ? html`<div class="markdown">${renderMarkdown(app.introduction)}</div>` : html`<p class="empty">The publisher has not written an introduction yet.</p>`}
</section>
${gallery(app, screenshots)}
<section aria-labelledby="about-h"><h2 id="about-h">About</h2>
<dl class="facts">
<div><dt>Publisher</dt><dd><a href="/publishers/${encodeURIComponent(app.namespace)}">${d.publisher}</a></dd></div>
${app.latestVersion ? html`<div><dt>Latest version</dt><dd><a href="${versionPath(app, app.latestVersion)}">${app.latestVersion}</a></dd></div>` : ''}
<div><dt>Versions</dt><dd><a href="${tabPath(app, 'versions')}">${plural(d.versions.length, 'version')}</a></dd></div>
<div><dt>Published</dt><dd><time datetime="${app.createdAt}">${day(app.createdAt)}</time></dd></div>
</dl>
${links(d)}
${
  app.tags.length || app.categories.length
    ? html`<h3 class="small">Tags</h3><ul class="chips">
${app.categories.map((c) => html`<li><a href="/search?category=${encodeURIComponent(c)}">${c}</a></li>`)}
${app.tags.map((t) => html`<li><a href="/search?tag=${encodeURIComponent(t)}">${t}</a></li>`)}</ul>`
    : ''
}
</section>
<section aria-labelledby="stats-h"><h2 id="stats-h">Visits and installs</h2>
${statsChart(days)}
</section>
${badgeAndFeed(d)}`;
}

/**
 * The screenshots in a row that scrolls sideways inside its own box (never the page), each a
 * link to the full-size image; the caption is its text alternative, else its number.
 */
export function gallery(
  app: { name: string; displayName: string },
  screenshots: ScreenshotView[],
): SafeHtml {
  if (!screenshots.length) return html``;
  const name = app.displayName || app.name;
  return html`<section aria-labelledby="shots-h"><h2 id="shots-h">Screenshots</h2>
<ul class="gallery">${screenshots.map(
    (shot, i) =>
      html`<li><figure><a href="${shot.url}"><img src="${shot.url}" alt="${shot.caption || `Screenshot ${i + 1} of ${name}`}" loading="lazy"></a>${shot.caption ? html`<figcaption>${shot.caption}</figcaption>` : ''}</figure></li>`,
  )}</ul>
</section>`;
}

/**
 * The README badge as markdown to copy, and the app's Atom feed. Only for an app on the shelf:
 * badges and feeds show what anyone may see, so a private app's would not be found.
 */
function badgeAndFeed(d: AppPageData): SafeHtml {
  const { app, ctx } = d;
  if (!app.onShelf) return html``;
  const name = app.displayName || app.name;
  // The name is the publisher's text: brackets and backslashes escaped, it cannot end the alt text.
  const alt = `${name} on ${SITE_NAME}`.replace(/[\\[\]]/g, '\\$&');
  const markdown = `[![${alt}](${ctx.baseUrl}${badgePath(app, 'version')})](${ctx.baseUrl}${appPath(app)})`;
  return html`<section aria-labelledby="badge-h"><h2 id="badge-h">Badge and feed</h2>
<p><img class="badge-preview" src="${badgePath(app, 'version')}" alt="${SITE_NAME}: ${app.latestVersion ?? 'no version'}" height="20"></p>
<p>Show the latest version in a README (markdown):</p>
${copyable(markdown, 'badge-markdown')}
<p>For the install count, use <code>${badgePath(app, 'installs')}</code>; <code>?label=</code> changes the label.</p>
<p><a href="${appFeedPath(app)}" type="application/atom+xml">Atom feed of new versions</a></p>
</section>`;
}

function links(d: AppPageData): SafeHtml {
  const web = (u: string): boolean => /^https?:\/\//i.test(u);
  const { app } = d;
  const items = [
    app.homeUrl && web(app.homeUrl)
      ? html`<li><a href="${app.homeUrl}" rel="nofollow noopener ugc">Home page</a></li>`
      : '',
    app.sourceUrl && web(app.sourceUrl)
      ? html`<li><a href="${app.sourceUrl}" rel="nofollow noopener ugc">Source code</a></li>`
      : '',
  ].filter(Boolean);
  return items.length ? html`<h3 class="small">Links</h3><ul class="links">${items}</ul>` : html``;
}

function stateBadge(v: VersionView): SafeHtml {
  return html`<span class="badge state-${v.state}">${v.state}</span>`;
}

function sizeText(size: number | null): string {
  return size === null ? 'not synced yet' : bytes(size);
}

export function versionsTab(d: AppPageData, details: VersionDetail[]): SafeHtml {
  const { app } = d;
  return html`<section aria-labelledby="versions-h"><h2 id="versions-h">Versions</h2>
${
  details.length
    ? html`<ul class="versions">${details.map(
        ({ version: v, changelog, size, components }) => html`<li class="version">
<div class="version-head"><h3><a href="${versionPath(app, v.version)}">${v.version}</a></h3>${v.alias ? html` <span class="alias">${v.alias}</span>` : ''} ${stateBadge(v)}${v.version === app.latestVersion ? html` <span class="badge latest">latest</span>` : ''}</div>
<p class="version-meta"><time datetime="${v.createdAt}">${day(v.createdAt)}</time> · ${sizeText(size)} · ${plural(components.length, 'component')}${v.arch ? html` · ${v.arch}` : ''}${v.rainbondVersion ? html` · Rainbond ${v.rainbondVersion}` : ''}</p>
${changelog ? html`<p class="changelog">${changelog}</p>` : html`<p class="empty">No release notes.</p>`}
</li>`,
      )}</ul>`
    : html`<p class="empty">No versions yet.</p>`
}
</section>`;
}

export function versionPage(d: AppPageData, detail: VersionDetail): SafeHtml {
  const { app } = d;
  const v = detail.version;
  return html`<section aria-labelledby="version-h"><h2 id="version-h">Version ${v.version} ${stateBadge(v)}</h2>
<p><a href="${tabPath(app, 'versions')}">← All versions</a></p>
<dl class="facts">
<div><dt>Published</dt><dd><time datetime="${v.createdAt}">${day(v.createdAt)}</time></dd></div>
<div><dt>Size</dt><dd>${sizeText(detail.size)}</dd></div>
<div><dt>State</dt><dd>${v.state}</dd></div>
${v.alias ? html`<div><dt>Alias</dt><dd>${v.alias}</dd></div>` : ''}
${v.rainbondVersion ? html`<div><dt>Rainbond</dt><dd>${v.rainbondVersion}</dd></div>` : ''}
${v.arch ? html`<div><dt>Architecture</dt><dd>${v.arch}</dd></div>` : ''}
${v.manifestDigest ? html`<div><dt>Bundle digest</dt><dd><code>${v.manifestDigest}</code></dd></div>` : ''}
</dl>
<h3>Release notes</h3>
${detail.changelog ? html`<p class="changelog">${detail.changelog}</p>` : html`<p class="empty">No release notes.</p>`}
<h3>Components</h3>
<ul class="component-names">${detail.components.map((c) => html`<li>${c.name} <span class="mono muted">${c.image}</span></li>`)}</ul>
<p><a href="${tabPath(app, 'components')}?version=${encodeURIComponent(v.version)}">Components in detail</a> · <a href="${tabPath(app, 'template')}?version=${encodeURIComponent(v.version)}">Template</a> · <a href="${templateDownloadPath(d, v.version)}" download>Download template.json</a></p>
</section>`;
}

export function templateDownloadPath(d: AppPageData, version: string): string {
  return `${versionPath(d.app, version)}/template.json`;
}

function versionPicker(d: AppPageData, current: string, action: string, id: string): SafeHtml {
  if (d.versions.length < 2) return html`<p class="muted">Version ${current}</p>`;
  return html`<form method="get" action="${action}" class="version-pick">
<label for="${id}">Version</label>
<select id="${id}" name="version" data-autosubmit>${d.versions.map((v) => html`<option value="${v.version}"${v.version === current ? html` selected` : ''}>${v.version}${v.state === 'ready' ? '' : ` (${v.state})`}</option>`)}</select>
<button type="submit" class="secondary" data-noscript-only>Show</button>
</form>`;
}

export function componentsTab(d: AppPageData, detail: VersionDetail | undefined): SafeHtml {
  if (!detail)
    return html`<section aria-labelledby="components-h"><h2 id="components-h">Components</h2><p class="empty">No versions yet.</p></section>`;
  const v = detail.version.version;
  const graph = dependencyGraph(
    detail.components.map((c) => ({ id: c.shareId, name: c.name, dependsOn: c.dependsOn })),
  );
  return html`<section aria-labelledby="components-h"><h2 id="components-h">Components</h2>
${versionPicker(d, v, tabPath(d.app, 'components'), 'components-version')}
${graph.value ? html`<h3>Dependencies</h3>${graph}` : ''}
${detail.components.length ? detail.components.map((c, i) => component(d, c, i)) : html`<p class="empty">This version has no components.</p>`}
</section>`;
}

function component(d: AppPageData, c: VersionDetail['components'][number], i: number): SafeHtml {
  const none = html`<p class="empty">None.</p>`;
  const stored = c.imageDigest
    ? `${d.ctx.host}/${d.app.namespace}/${d.app.name}@${c.imageDigest}`
    : '';
  const r = c.resources;
  return html`<article class="component" aria-labelledby="component-${i}">
<h3 id="component-${i}">${c.name}</h3>
<dl class="facts">
<div><dt>Image</dt><dd><code class="scroll" tabindex="0">${stored || c.image}</code></dd></div>
${c.sourceRef && stored ? html`<div><dt>From</dt><dd><code class="scroll" tabindex="0">${c.sourceRef}</code></dd></div>` : ''}
<div><dt>Digest</dt><dd>${c.imageDigest ? html`<code class="scroll" tabindex="0">${c.imageDigest}</code>` : 'not synced yet'}</dd></div>
<div><dt>Size</dt><dd>${c.sizes.length ? html`<ul class="plain">${c.sizes.map((s) => html`<li>${s.platform || 'one platform'}: ${bytes(s.bytes)}</li>`)}</ul>` : 'not synced yet'}</dd></div>
<div><dt>Resources</dt><dd>${r.memory !== null ? `${r.memory} MiB memory` : 'memory not set'}, ${r.cpu !== null ? `${r.cpu} m CPU` : 'CPU not set'}${r.minNodes !== null ? `, ${r.minNodes}${r.maxNodes !== null && r.maxNodes !== r.minNodes ? `–${r.maxNodes}` : ''} ${r.minNodes === 1 && (r.maxNodes === null || r.maxNodes === 1) ? 'instance' : 'instances'}` : ''}</dd></div>
</dl>
<h4>Ports</h4>
${c.ports.length ? html`<ul class="plain">${c.ports.map((p) => html`<li><code>${p.port}/${p.protocol || 'tcp'}</code>${p.alias ? ` ${p.alias}` : ''}${p.outer ? ' · open to the outside' : ''}</li>`)}</ul>` : none}
<h4>Environment variables</h4>
${c.envs.length ? html`<p class="muted">Names only: values stay in the template, set when installing.</p><ul class="plain env-names">${c.envs.map((e) => html`<li><code>${e.name}</code>${e.label ? ` ${e.label}` : ''}${e.connection ? ' · offered to dependents' : ''}</li>`)}</ul>` : none}
<h4>Volumes</h4>
${c.volumes.length ? html`<ul class="plain">${c.volumes.map((v) => html`<li><code>${v.path}</code> ${v.name} · ${v.type}${v.capacity ? ` · ${v.capacity} GiB` : ''}</li>`)}</ul>` : none}
<h4>Probes</h4>
${c.probes.length ? html`<ul class="plain">${c.probes.map((p) => html`<li>${p.mode}: ${p.scheme}${p.port !== null ? ` port ${p.port}` : ''}${p.path ? html` <code>${p.path}</code>` : ''}</li>`)}</ul>` : none}
</article>`;
}

export function templateTab(d: AppPageData, detail: VersionDetail | undefined): SafeHtml {
  if (!detail)
    return html`<section aria-labelledby="template-h"><h2 id="template-h">Template</h2><p class="empty">No versions yet.</p></section>`;
  const v = detail.version.version;
  return html`<section aria-labelledby="template-h"><h2 id="template-h">Template</h2>
${versionPicker(d, v, tabPath(d.app, 'template'), 'template-version')}
<p>The Rainbond application model (RAM) of version ${v}. <a class="button secondary" href="${templateDownloadPath(d, v)}" download>Download template.json</a></p>
<pre class="code json" tabindex="0" role="region" aria-label="template.json of version ${v}"><code>${trusted(highlightJson(detail.template))}</code></pre>
</section>`;
}
