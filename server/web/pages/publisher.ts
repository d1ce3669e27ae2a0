/** A publisher's page: the profile (avatar, name, bio, link) and every app of theirs one may see. */
import type { Router } from 'express';
import { html } from '../html.js';
import { renderPage } from '../layout.js';
import type { WebServices } from '../services.js';
import { cardList, count } from './parts.js';

export function publisherRoutes(router: Router, s: WebServices): void {
  router.get('/publishers/:name', async (req, res) => {
    const ctx = res.locals.web;
    const page = await s.publishers.page(ctx.principal, String(req.params.name));
    const profile = page.profile;
    const name = profile.displayName || profile.name;
    const user = 'bio' in profile ? profile : undefined;
    const website = user?.website && /^https?:\/\//i.test(user.website) ? user.website : '';
    const body = html`<div class="wrap publisher-page">
<header class="profile">
${user?.avatarUrl ? html`<img class="avatar" src="${user.avatarUrl}" alt="" width="96" height="96">` : html`<span class="avatar avatar-letter" aria-hidden="true">${name.slice(0, 1).toUpperCase()}</span>`}
<div>
<h1>${name}</h1>
<p class="muted">${page.kind === 'org' ? 'Organisation' : 'Publisher'} <code>${profile.name}</code> · since <time datetime="${profile.createdAt}">${profile.createdAt.slice(0, 10)}</time></p>
${user?.bio ? html`<p class="bio">${user.bio}</p>` : ''}
${website ? html`<p><a href="${website}" rel="nofollow noopener ugc">${website.replace(/^https?:\/\//i, '')}</a></p>` : ''}
</div>
</header>
<dl class="totals">
<div><dt>Apps</dt><dd>${count(page.totals.apps)}</dd></div>
<div><dt>Installs</dt><dd>${count(page.totals.installs)}</dd></div>
<div><dt>Visits</dt><dd>${count(page.totals.visits)}</dd></div>
</dl>
<section aria-labelledby="apps-h"><h2 id="apps-h">Apps</h2>
${cardList(page.apps, 'No apps published yet.')}
</section>
</div>`;
    res.send(
      renderPage(ctx, {
        title: name,
        description: `${page.totals.apps} apps by ${name} in the appshelf marketplace.${user?.bio ? ` ${user.bio.slice(0, 120)}` : ''}`,
        image: user?.avatarUrl ?? null,
        body,
      }),
    );
  });
}
