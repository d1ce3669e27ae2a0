/** Admin: find users by name, display name or phone suffix; disable, enable, promote, demote. */
import type { Request, Response, Router } from 'express';
import { changeUser, type UserChange } from '../../accounts/admin-users.js';
import { StoreError } from '../../errors.js';
import { addressOf } from '../../http/authenticate.js';
import { field, formOf } from '../form.js';
import { html } from '../html.js';
import { csrfField, notice, renderPage } from '../layout.js';
import type { WebServices } from '../services.js';
import { adminNav, queryText, requireAdmin } from './admin-nav.js';
import { day } from './parts.js';

const PAGE = 50;
const ORGS = 200;
const DONE: Record<string, string> = {
  disabled: 'The user is disabled: their sessions ended and their keys stopped working.',
  enabled: 'The user is enabled.',
  admin: 'The user is now an administrator.',
  user: 'The user is no longer an administrator.',
};

export function adminUserRoutes(router: Router, s: WebServices): void {
  const { users, audit } = s.deps.accounts;

  const show = async (
    req: Request,
    res: Response,
    st: { error?: string; status?: number } = {},
  ) => {
    const ctx = res.locals.web;
    await requireAdmin(s, ctx);
    const search = queryText(req, 'q').trim();
    const after = queryText(req, 'after');
    const list = await users.list({
      search: search || undefined,
      after: after || undefined,
      limit: PAGE,
    });
    const back = `/admin/users?${new URLSearchParams(search ? { q: search } : {}).toString()}`;
    const more = new URLSearchParams({
      ...(search ? { q: search } : {}),
      after: list.at(-1)?.name ?? '',
    });
    const body = html`<div class="wrap admin">
<h1>Users</h1>
${adminNav('/admin/users')}
${notice(st.error, 'error')}${notice(DONE[queryText(req, 'done')])}
<form method="get" action="/admin/users" class="stack inline-fields" role="search">
<div><label for="u-q">Name, display name or last digits of the phone</label><input id="u-q" name="q" type="search" value="${search}"></div>
<button type="submit">Search</button></form>
${
  list.length
    ? html`<div class="table-scroll" tabindex="0" role="region" aria-label="Users"><table class="data users"><thead><tr><th scope="col">Name</th><th scope="col">Display name</th><th scope="col">Phone</th><th scope="col">Role</th><th scope="col">Since</th><th scope="col">State</th><th scope="col">Change</th></tr></thead>
<tbody>${list.map(
        (
          u,
        ) => html`<tr><th scope="row"><a href="/publishers/${encodeURIComponent(u.name)}">${u.name}</a></th><td>${u.displayName}</td><td>${u.phone ?? ''}</td><td>${u.role}</td><td>${day(new Date(u.createdAt).toISOString())}</td>
<td>${u.disabled ? html`<span class="badge">disabled</span>` : 'active'}</td>
<td><form method="post" action="/admin/users/${encodeURIComponent(u.name)}" class="inline"${u.disabled ? '' : html` data-confirm="Disable ${u.name}? Their sessions end and their keys stop working."`}>${csrfField(ctx)}<input type="hidden" name="back" value="${back}"><input type="hidden" name="disabled" value="${u.disabled ? 'false' : 'true'}"><button type="submit" class="small${u.disabled ? ' secondary' : ' danger'}">${u.disabled ? 'Enable' : 'Disable'}<span class="visually-hidden"> ${u.name}</span></button></form>
<form method="post" action="/admin/users/${encodeURIComponent(u.name)}" class="inline"${u.role === 'admin' ? '' : html` data-confirm="Make ${u.name} an administrator?"`}>${csrfField(ctx)}<input type="hidden" name="back" value="${back}"><input type="hidden" name="role" value="${u.role === 'admin' ? 'user' : 'admin'}"><button type="submit" class="small secondary">${u.role === 'admin' ? 'Demote' : 'Promote'}<span class="visually-hidden"> ${u.name}</span></button></form></td></tr>`,
      )}</tbody></table></div>`
    : html`<p class="empty">No user matches.</p>`
}
${list.length === PAGE ? html`<p><a href="/admin/users?${more.toString()}">More users →</a></p>` : ''}
${await orgsSection(s)}
</div>`;
    res
      .status(st.status ?? 200)
      .set('Cache-Control', 'no-store')
      .send(
        renderPage(ctx, {
          title: 'Users · Administration',
          description: 'Find, disable and promote users.',
          noindex: true,
          body,
        }),
      );
  };

  router.get('/admin/users', (req, res) => show(req, res));

  router.post('/admin/users/:name', async (req, res) => {
    const me = await requireAdmin(s, res.locals.web);
    const form = formOf(req);
    const change: UserChange = {};
    const disabled = field(form, 'disabled');
    const role = field(form, 'role');
    if (disabled === 'true' || disabled === 'false') change.disabled = disabled === 'true';
    if (role === 'admin' || role === 'user') change.role = role;
    if (change.disabled === undefined && change.role === undefined)
      return show(req, res, { status: 400, error: 'Choose what to change.' });
    try {
      await changeUser({ users, audit }, me, String(req.params.name), change, addressOf(req));
    } catch (err) {
      if (!(err instanceof StoreError) || !['conflict', 'not_found'].includes(err.code)) throw err;
      return show(req, res, {
        status: err.code === 'conflict' ? 409 : 404,
        error:
          err.code === 'conflict'
            ? 'You cannot disable or demote yourself.'
            : `There is no user "${String(req.params.name)}".`,
      });
    }
    // Back to the same search; only a path of this page, never another site.
    const back = field(form, 'back');
    const to = back.startsWith('/admin/users?') ? back : '/admin/users?';
    const done = change.role ?? (change.disabled ? 'disabled' : 'enabled');
    res.redirect(303, `${to}${to.endsWith('?') ? '' : '&'}done=${done}`);
  });
}

async function orgsSection(s: WebServices) {
  const orgs = await s.deps.accounts.namespaces.orgSummaries(ORGS);
  return html`<section aria-labelledby="orgs-h"><h2 id="orgs-h">Organisations</h2>
${
  orgs.length
    ? html`<div class="table-scroll" tabindex="0" role="region" aria-label="Organisations"><table class="data orgs"><thead><tr><th scope="col">Name</th><th scope="col">Display name</th><th scope="col">Members</th><th scope="col">Apps</th></tr></thead>
<tbody>${orgs.map((o) => html`<tr><th scope="row"><a href="/publishers/${encodeURIComponent(o.name)}">${o.name}</a></th><td>${o.displayName}</td><td>${o.members}</td><td>${o.apps}</td></tr>`)}</tbody></table></div>`
    : html`<p class="empty">No organisations yet.</p>`
}
</section>`;
}
