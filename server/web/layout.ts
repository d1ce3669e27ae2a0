/** The page frame: head with title and meta tags, header with navigation, main, footer. */
import { html, type SafeHtml } from './html.js';
import type { WebContext } from './context.js';

export interface PageOptions {
  title: string;
  description: string;
  body: SafeHtml;
  /** Pages of one's own (store management, sign-in) are not for search engines. */
  noindex?: boolean;
  /** An image for link previews (an app's logo). */
  image?: string | null;
  /** An Atom feed of the page's subject, for feed readers to discover. */
  feed?: { title: string; href: string } | undefined;
}

export const SITE_NAME = 'appshelf';

export function renderPage(ctx: WebContext, page: PageOptions): string {
  const title = page.title === SITE_NAME ? SITE_NAME : `${page.title} · ${SITE_NAME}`;
  const canonical = `${ctx.baseUrl}${ctx.here.split('?')[0]}`;
  return `<!doctype html>\n${
    html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<meta name="description" content="${page.description}">
${page.noindex ? html`<meta name="robots" content="noindex">` : html`<link rel="canonical" href="${canonical}">`}
<meta property="og:site_name" content="${SITE_NAME}">
<meta property="og:title" content="${page.title}">
<meta property="og:description" content="${page.description}">
<meta property="og:type" content="website">
<meta property="og:url" content="${canonical}">
${page.image ? html`<meta property="og:image" content="${ctx.baseUrl}${page.image}">` : ''}
<meta name="twitter:card" content="summary">
<meta name="color-scheme" content="light">
<meta name="theme-color" content="#1f4e79">
${page.feed ? html`<link rel="alternate" type="application/atom+xml" title="${page.feed.title}" href="${ctx.baseUrl}${page.feed.href}">` : ''}
<link rel="icon" href="${ctx.assets.url('favicon.svg')}" type="image/svg+xml">
<link rel="stylesheet" href="${ctx.assets.url('app.css')}">
<script src="${ctx.assets.url('app.js')}" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
${header(ctx)}
<main id="main" tabindex="-1">
${page.body}
</main>
<footer class="site-footer"><div class="wrap">
<p>${SITE_NAME}: a self-hosted app store for cloud-native apps. Apps install into Rainbond, or with <code>appshelf install</code>.</p>
</div></footer>
</body>
</html>`.value
  }\n`;
}

function header(ctx: WebContext): SafeHtml {
  const user = ctx.user;
  return html`<header class="site-header"><div class="wrap">
<a class="brand" href="/"><img src="${ctx.assets.url('favicon.svg')}" alt="" width="28" height="28"><span>${SITE_NAME}</span></a>
<form class="header-search" role="search" action="/search" method="get">
<label class="visually-hidden" for="header-q">Search apps</label>
<input id="header-q" type="search" name="q" placeholder="Search apps" autocomplete="off">
</form>
<nav aria-label="Main"><ul>
<li><a href="/search">Browse</a></li>
${
  user
    ? html`<li><a href="/my">My store</a></li>
${user.role === 'admin' ? html`<li><a href="/admin">Admin</a></li>` : ''}
<li><form action="/logout" method="post" class="inline"><input type="hidden" name="_csrf" value="${ctx.csrf}"><button type="submit" class="link">Sign out <span class="visually-hidden">${user.name}</span></button></form></li>`
    : html`<li><a href="/login?next=${encodeURIComponent(ctx.here)}">Sign in</a></li>`
}
</ul></nav>
</div></header>`;
}

/** The hidden field every form posts. */
export function csrfField(ctx: WebContext): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${ctx.csrf}">`;
}

/** A notice at the top of a page (role=status, so screen readers announce it). */
export function notice(text: string | undefined, kind: 'ok' | 'error' = 'ok'): SafeHtml {
  if (!text) return html``;
  return kind === 'error'
    ? html`<div class="notice error" role="alert">${text}</div>`
    : html`<div class="notice ok" role="status">${text}</div>`;
}
