/** The marketplace's home: search, popular and recently updated apps, tags and categories. */
import type { Router } from 'express';
import { html } from '../html.js';
import { renderPage } from '../layout.js';
import type { WebServices } from '../services.js';
import { cardList } from './parts.js';

const SHOWN = 8;

export function homeRoutes(router: Router, s: WebServices): void {
  router.get('/', async (_req, res) => {
    const ctx = res.locals.web;
    const base = { q: '', tags: [], categories: [], page: 1, pageSize: SHOWN };
    const [popular, recent] = await Promise.all([
      s.deps.search.search(ctx.principal, { ...base, sort: 'installs' }),
      s.deps.search.search(ctx.principal, { ...base, sort: 'updated' }),
    ]);
    const { tags, categories } = popular.facets;
    const body = html`<section class="hero"><div class="wrap">
<h1>Find apps to run on Rainbond</h1>
<p>${popular.total} ${popular.total === 1 ? 'app' : 'apps'} to browse${ctx.user ? ', your own included' : ', ready to install'}.</p>
<form class="big-search" role="search" action="/search" method="get">
<label for="home-q">Search the marketplace</label>
<div class="row"><input id="home-q" type="search" name="q" placeholder="e.g. wordpress, database, monitoring"><button type="submit">Search</button></div>
</form>
</div></section>
<div class="wrap">
${
  categories.length || tags.length
    ? html`<section aria-labelledby="browse-h"><h2 id="browse-h">Browse</h2>
${categories.length ? html`<h3 class="small">Categories</h3><ul class="chips">${categories.map((c) => html`<li><a href="/search?category=${encodeURIComponent(c.value)}">${c.value} <span class="n">${c.count}</span></a></li>`)}</ul>` : ''}
${tags.length ? html`<h3 class="small">Tags</h3><ul class="chips">${tags.map((t) => html`<li><a href="/search?tag=${encodeURIComponent(t.value)}">${t.value} <span class="n">${t.count}</span></a></li>`)}</ul>` : ''}
</section>`
    : ''
}
<section aria-labelledby="popular-h"><h2 id="popular-h">Popular</h2>${cardList(popular.items, 'No apps on the shelf yet.')}
${popular.total > SHOWN ? html`<p><a href="/search?sort=installs">All apps by installs →</a></p>` : ''}</section>
<section aria-labelledby="recent-h"><h2 id="recent-h">Recently updated</h2>${cardList(recent.items, 'Nothing updated yet.')}
${recent.total > SHOWN ? html`<p><a href="/search?sort=updated">All apps by update →</a></p>` : ''}</section>
</div>`;
    res.send(
      renderPage(ctx, {
        title: 'appshelf',
        description:
          'A self-hosted app store: find, publish and install cloud-native apps for Rainbond.',
        body,
      }),
    );
  });
}
