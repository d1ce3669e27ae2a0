/**
 * Admin: moderation of apps (issue 16 §2). Find an app by `namespace/name`, unlist it or take it
 * down with a reason its owner is shown, restore it; and the apps under moderation now. Every
 * change goes through `AppService.moderate`, as the store API's `POST …/moderation` does, so the
 * permission check and the audit row are the API's.
 */
import type { Request, Response, Router } from 'express';
import { MODERATION_REASON_MAX, ModerationRequest } from '../../../schemas/moderation.js';
import { StoreError } from '../../errors.js';
import { addressOf } from '../../http/authenticate.js';
import type { AppView } from '../../store/app-access.js';
import type { AppRef } from '../../store/version-index.js';
import type { WebContext } from '../context.js';
import { field, formOf } from '../form.js';
import { html, type SafeHtml } from '../html.js';
import { csrfField, notice, renderPage } from '../layout.js';
import type { WebServices } from '../services.js';
import { adminNav, queryText, requireAdmin } from './admin-nav.js';
import { appPath, day, manageAppPath } from './parts.js';

const DONE: Record<string, string> = {
  unlist: 'The app is unlisted; its owner sees the reason and may list it again.',
  takedown: 'The app is taken down; its owner sees the reason. Only an administrator restores it.',
  restore: 'The moderation is lifted; listing the app again is its owner’s call.',
};

const STATE_TEXT = { unlisted: 'unlisted', taken_down: 'taken down' } as const;

/** `namespace/name` typed into the search field, when it is one. */
function refOf(text: string): AppRef | undefined {
  const m = /^([^/\s]+)\/([^/\s]+)$/.exec(text.trim());
  return m ? { namespace: m[1]!, name: m[2]! } : undefined;
}

export function adminAppRoutes(router: Router, s: WebServices): void {
  const show = async (
    req: Request,
    res: Response,
    st: { error?: string; status?: number; reason?: string; app?: string } = {},
  ) => {
    const ctx = res.locals.web;
    const me = await requireAdmin(s, ctx);
    const wanted = st.app ?? queryText(req, 'app', 130);
    const ref = refOf(wanted);
    let found: AppView | undefined;
    if (ref) found = await s.apps.get(me, ref).catch(notFoundAsUndefined);
    const moderated = await s.apps.moderatedApps(me);
    const body = html`<div class="wrap admin">
<h1>Apps</h1>
${adminNav('/admin/apps')}
${notice(st.error, 'error')}${notice(DONE[queryText(req, 'done')])}
<form method="get" action="/admin/apps" class="stack inline-fields" role="search">
<div><label for="a-app">App (<code>namespace/name</code>)</label><input id="a-app" name="app" type="search" value="${wanted}" placeholder="acme/shop"></div>
<button type="submit">Find</button></form>
${wanted ? (found ? appSection(ctx, found, st.reason ?? '') : html`<p class="empty">No app ${wanted}.</p>`) : ''}
<section aria-labelledby="moderated-h"><h2 id="moderated-h">Under moderation</h2>
${moderatedTable(ctx, moderated)}
</section>
</div>`;
    res
      .status(st.status ?? 200)
      .set('Cache-Control', 'no-store')
      .send(
        renderPage(ctx, {
          title: 'Apps · Administration',
          description: 'Unlist, take down and restore apps.',
          noindex: true,
          body,
        }),
      );
  };

  router.get('/admin/apps', (req, res) => show(req, res));

  router.post('/admin/apps/:ns/:app/moderation', async (req, res) => {
    const me = await requireAdmin(s, res.locals.web);
    const ref = { namespace: String(req.params.ns), name: String(req.params.app) };
    const form = formOf(req);
    const action = field(form, 'action');
    const reason = field(form, 'reason');
    if (!['unlist', 'takedown', 'restore'].includes(action))
      return show(req, res, {
        app: `${ref.namespace}/${ref.name}`,
        reason,
        status: 400,
        error: 'Choose Unlist, Take down or Restore.',
      });
    const request = ModerationRequest.safeParse(
      action === 'restore' ? { action } : { action, reason },
    );
    // The page shows the app again with the reason as typed and what was wrong with it.
    const again = { app: `${ref.namespace}/${ref.name}`, reason };
    if (!request.success)
      return show(req, res, {
        ...again,
        status: 400,
        error: `The reason: ${request.error.issues[0]?.message ?? 'not valid'}.`,
      });
    try {
      await s.apps.moderate({ principal: me, address: addressOf(req) }, ref, request.data);
    } catch (err) {
      if (!(err instanceof StoreError) || err.code !== 'not_found') throw err;
      return show(req, res, {
        status: 404,
        error: `There is no app ${ref.namespace}/${ref.name}.`,
      });
    }
    const query = new URLSearchParams({ app: `${ref.namespace}/${ref.name}`, done: action });
    res.redirect(303, `/admin/apps?${query.toString()}`);
  });
}

function notFoundAsUndefined(err: unknown): undefined {
  if (err instanceof StoreError && err.code === 'not_found') return undefined;
  throw err;
}

function appSection(ctx: WebContext, app: AppView, reason: string): SafeHtml {
  const name = `${app.namespace}/${app.name}`;
  const action = `/admin/apps/${encodeURIComponent(app.namespace)}/${encodeURIComponent(app.name)}/moderation`;
  const state = app.moderation
    ? html`<span class="badge">${STATE_TEXT[app.moderation.state]}</span> since ${day(app.moderation.at)}: ${app.moderation.reason}`
    : app.onShelf
      ? html`<span class="badge ok">on the shelf</span>`
      : app.listed
        ? 'listed, without a package (not on the shelf)'
        : 'not listed';
  return html`<section aria-labelledby="app-h" class="box"><h2 id="app-h"><a href="${appPath(app)}">${name}</a></h2>
<p>${state} · <a href="${manageAppPath(app)}">Its management page</a></p>
<form method="post" action="${action}" class="stack">${csrfField(ctx)}
<label for="m-reason">Reason, shown to the owner <span class="muted">(at most ${MODERATION_REASON_MAX} characters)</span></label>
<textarea id="m-reason" name="reason" rows="3" maxlength="${MODERATION_REASON_MAX}" required>${reason}</textarea>
<div class="actions-row"><button type="submit" name="action" value="unlist" class="secondary">Unlist<span class="visually-hidden"> ${name}</span></button>
<button type="submit" name="action" value="takedown" class="danger" data-confirm="Take ${name} down? Its owner cannot list it again until an administrator restores it.">Take down<span class="visually-hidden"> ${name}</span></button></div>
</form>
${app.moderation ? restoreForm(ctx, app) : ''}
</section>`;
}

function restoreForm(ctx: WebContext, app: AppView): SafeHtml {
  const action = `/admin/apps/${encodeURIComponent(app.namespace)}/${encodeURIComponent(app.name)}/moderation`;
  return html`<form method="post" action="${action}" class="inline">${csrfField(ctx)}<input type="hidden" name="action" value="restore"><button type="submit" class="small secondary">Restore<span class="visually-hidden"> ${app.namespace}/${app.name}</span></button></form>`;
}

function moderatedTable(ctx: WebContext, apps: AppView[]): SafeHtml {
  if (!apps.length) return html`<p class="empty">No app is under moderation.</p>`;
  return html`<div class="table-scroll" tabindex="0" role="region" aria-label="Apps under moderation"><table class="data moderated"><thead><tr><th scope="col">App</th><th scope="col">State</th><th scope="col">Since</th><th scope="col">Reason</th><th scope="col">Change</th></tr></thead>
<tbody>${apps.map(
    (a) =>
      html`<tr><th scope="row"><a href="/admin/apps?app=${encodeURIComponent(`${a.namespace}/${a.name}`)}">${a.namespace}/${a.name}</a></th><td>${a.moderation ? STATE_TEXT[a.moderation.state] : ''}</td><td>${a.moderation ? day(a.moderation.at) : ''}</td><td>${a.moderation?.reason ?? ''}</td><td>${restoreForm(ctx, a)}</td></tr>`,
  )}</tbody></table></div>`;
}
