/**
 * A publisher's page: the profile (avatar, name, bio, link) and every app of theirs one may see;
 * for an organisation, the members who chose to show their membership (orgs-view.ts), and the
 * way to its members page for those who belong to it.
 */
import type { Router } from 'express';
import { html } from '../html.js';
import { renderPage } from '../layout.js';
import type { WebServices } from '../services.js';
import { plural } from '../../../schemas/plural.js';
import { cardList, count, publisherFeedPath } from './parts.js';
import { orgMembersSection, userOrgsSection } from './orgs-view.js';

export function publisherRoutes(router: Router, s: WebServices): void {
  router.get('/publishers/:name', async (req, res) => {
    const ctx = res.locals.web;
    const page = await s.publishers.page(ctx.principal, String(req.params.name));
    const profile = page.profile;
    const name = profile.displayName || profile.name;
    const user = 'bio' in profile ? profile : undefined;
    const org = page.kind === 'org' ? await s.orgs.get(profile.name) : undefined;
    // A user's profile or an organisation's: the same three things, each optional.
    const about = user?.bio ?? org?.about ?? '';
    const picture = user?.avatarUrl ?? org?.logoUrl ?? null;
    const site = user?.website ?? org?.website ?? '';
    const website = /^https?:\/\//i.test(site) ? site : '';
    const body = html`<div class="wrap publisher-page">
<header class="profile">
${picture ? html`<img class="avatar${org ? ' org-logo' : ''}" src="${picture}" alt="" width="96" height="96">` : html`<span class="avatar avatar-letter" aria-hidden="true">${name.slice(0, 1).toUpperCase()}</span>`}
<div>
<h1>${name}</h1>
<p class="muted">${page.kind === 'org' ? 'Organisation' : 'Publisher'} <code>${profile.name}</code> · since <time datetime="${profile.createdAt}">${profile.createdAt.slice(0, 10)}</time></p>
${about ? html`<p class="bio">${about}</p>` : ''}
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
${user ? userOrgsSection(await s.orgs.shownBy(user.name)) : ''}
${page.kind === 'org' ? orgMembersSection(ctx, profile.name, await s.orgs.publicMembers(profile.name), await s.deps.permissions.namespace(ctx.principal, profile.name, 'read')) : ''}
</div>`;
    res.send(
      renderPage(ctx, {
        title: name,
        description: `${plural(page.totals.apps, 'app')} by ${name} in the appshelf marketplace.${about ? ` ${about.slice(0, 120)}` : ''}`,
        image: picture,
        feed: { title: `${name}: new versions`, href: publisherFeedPath(profile.name) },
        body,
      }),
    );
  });
}
