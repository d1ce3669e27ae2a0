/** Pieces several pages share: app cards, logos, avatars, dates, numbers, pagination. */
import { plural } from '../../../schemas/plural.js';
import { html, type SafeHtml } from '../html.js';

export interface CardApp {
  namespace: string;
  name: string;
  displayName: string;
  summary: string;
  logo: string | null;
  tags: string[];
  latestVersion: string | null;
  installs: number;
  visits: number;
  updatedAt: string;
  onShelf?: boolean;
}

export function appPath(a: { namespace: string; name: string }): string {
  return `/apps/${encodeURIComponent(a.namespace)}/${encodeURIComponent(a.name)}`;
}

/** An app's Atom feed of new versions (pages/feeds.ts). */
export function appFeedPath(a: { namespace: string; name: string }): string {
  return `${appPath(a)}/feed.atom`;
}

/** A publisher's Atom feed of new versions of all their apps (pages/feeds.ts). */
export function publisherFeedPath(name: string): string {
  return `/publishers/${encodeURIComponent(name)}/feed.atom`;
}

/** An app's README badge: its latest version, or its install count (pages/feeds.ts). */
export function badgePath(
  a: { namespace: string; name: string },
  kind: 'version' | 'installs',
): string {
  return `${appPath(a)}/${kind === 'version' ? 'badge' : 'installs'}.svg`;
}

export function manageAppPath(a: { namespace: string; name: string }, rest = ''): string {
  return `/my/apps/${encodeURIComponent(a.namespace)}/${encodeURIComponent(a.name)}${rest}`;
}

export function logo(
  a: { logo: string | null; displayName: string; name: string },
  size = 48,
): SafeHtml {
  if (a.logo)
    return html`<img class="logo" src="${a.logo}" alt="" width="${size}" height="${size}" loading="lazy">`;
  const letter = (a.displayName || a.name).slice(0, 1).toUpperCase();
  return html`<span class="logo logo-letter" aria-hidden="true" data-size="${size}">${letter}</span>`;
}

export function appCard(a: CardApp): SafeHtml {
  return html`<li class="card">
<a class="card-link" href="${appPath(a)}">${logo(a)}<span class="card-title">${a.displayName || a.name}</span></a>
<p class="card-publisher"><a href="/publishers/${encodeURIComponent(a.namespace)}">${a.namespace}</a>${a.latestVersion ? html` · v${a.latestVersion}` : ''}${a.onShelf === false ? html` · ${notListed(a.namespace)}` : ''}</p>
<p class="card-summary">${a.summary || 'No summary yet.'}</p>
<p class="card-meta"><span>${plural(a.installs, 'install', 'installs', count)}</span> · <span>updated <time datetime="${a.updatedAt}">${day(a.updatedAt)}</time></span></p>
${a.tags.length ? html`<ul class="tags">${a.tags.slice(0, 4).map((t) => html`<li><a href="/search?tag=${encodeURIComponent(t)}">${t}</a></li>`)}</ul>` : ''}
</li>`;
}

export function cardList(apps: CardApp[], empty: string): SafeHtml {
  return apps.length
    ? html`<ul class="cards">${apps.map(appCard)}</ul>`
    : html`<p class="empty">${empty}</p>`;
}

/**
 * The badge of an app off the shelf (private to its publisher), saying what that means: only the
 * namespace's members (and the store's admins) see it; to everyone else it does not exist.
 */
export function notListed(namespace: string): SafeHtml {
  return html`<span class="badge">not listed</span> <span class="private-why">private: only members of ${namespace} see it</span>`;
}

export function count(n: number): string {
  return n >= 10_000
    ? `${(n / 1000).toFixed(0)}k`
    : n >= 1000
      ? `${(n / 1000).toFixed(1)}k`
      : String(n);
}

export function day(iso: string): string {
  return iso.slice(0, 10);
}

export function dateTime(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** Previous / page n of m / next links, each keeping the rest of the query. */
export function pagination(
  page: number,
  pages: number,
  hrefOf: (page: number) => string,
): SafeHtml {
  if (pages <= 1) return html``;
  return html`<nav class="pagination" aria-label="Pages">
${page > 1 ? html`<a rel="prev" href="${hrefOf(page - 1)}">← Previous</a>` : html`<span aria-hidden="true"></span>`}
<span>Page ${page} of ${pages}</span>
${page < pages ? html`<a rel="next" href="${hrefOf(page + 1)}">Next →</a>` : html`<span aria-hidden="true"></span>`}
</nav>`;
}

/** 512 B, 1.5 KiB, 230 MiB. */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
