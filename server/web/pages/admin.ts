/** Administration: users (disable, enable), the audit log, and registry garbage collection. */
import type { Request, Response, Router } from 'express';
import type { Registry } from '../../../registry/index.js';
import { StoreError } from '../../errors.js';
import { addressOf } from '../../http/authenticate.js';
import { signedIn, type WebContext } from '../context.js';
import { field, formOf } from '../form.js';
import { html, type SafeHtml } from '../html.js';
import { csrfField, notice, renderPage } from '../layout.js';
import type { WebServices } from '../services.js';
import { dateTime, day } from './parts.js';
import { changeUser } from '../../accounts/admin-users.js';

const PAGE = 50;
type GcReport = Awaited<ReturnType<Registry['gc']['run']>>;

export function adminRoutes(router: Router, s: WebServices): void {
  const { users, audit } = s.deps.accounts;
  const admin = (ctx: WebContext) => {
    const me = signedIn(ctx);
    if (!s.deps.permissions.admin(me))
      throw new StoreError('forbidden', 'Only administrators may see this page.');
    return me;
  };
  const q = (req: Request, name: string): string =>
    typeof req.query[name] === 'string' ? req.query[name] : '';

  const show = (
    req: Request,
    res: Response,
    st: { error?: string; done?: string; gc?: GcReport; status?: number } = {},
  ): void => {
    const ctx = res.locals.web;
    admin(ctx);
    const after = q(req, 'after').slice(0, 64);
    const list = users.list({ after: after || undefined, limit: PAGE });
    const before = Number(q(req, 'before')) || undefined;
    const actor = q(req, 'actor').slice(0, 64);
    const action = q(req, 'action').slice(0, 64);
    const entries = audit.list({
      actor: actor || undefined,
      action: action || undefined,
      before,
      limit: PAGE,
    });
    const last = entries.at(-1);
    const body = html`<div class="wrap admin">
<h1>Administration</h1>
${notice(st.error, 'error')}${notice(st.done ?? (q(req, 'done') === 'user' ? 'The user is changed.' : undefined))}
<section aria-labelledby="gc-h" class="box"><h2 id="gc-h">Garbage collection</h2>
<p>Frees the storage of blobs and manifests nothing refers to any more, and stale uploads. A dry run only counts.</p>
<form method="post" action="/admin/gc" class="inline">${csrfField(ctx)}<input type="hidden" name="dryRun" value="true"><button type="submit" class="secondary">Dry run</button></form>
<form method="post" action="/admin/gc" class="inline" data-confirm="Run garbage collection now?">${csrfField(ctx)}<input type="hidden" name="dryRun" value="false"><button type="submit" class="danger">Run</button></form>
${st.gc ? gcReport(st.gc) : ''}
</section>
<section aria-labelledby="users-h"><h2 id="users-h">Users</h2>
<div class="table-scroll"><table class="data"><thead><tr><th scope="col">Name</th><th scope="col">Display name</th><th scope="col">Phone</th><th scope="col">Role</th><th scope="col">Since</th><th scope="col">State</th></tr></thead>
<tbody>${list.map(
      (
        u,
      ) => html`<tr><th scope="row"><a href="/publishers/${encodeURIComponent(u.name)}">${u.name}</a></th><td>${u.displayName}</td><td>${u.phone}</td><td>${u.role}</td><td>${day(new Date(u.createdAt).toISOString())}</td>
<td>${u.disabled ? html`<span class="badge">disabled</span>` : 'active'}
<form method="post" action="/admin/users/${encodeURIComponent(u.name)}" class="inline"${u.disabled ? '' : html` data-confirm="Disable ${u.name}? Their sessions end and their keys stop working."`}>${csrfField(ctx)}<input type="hidden" name="disabled" value="${u.disabled ? 'false' : 'true'}"><button type="submit" class="small${u.disabled ? ' secondary' : ' danger'}">${u.disabled ? 'Enable' : 'Disable'}<span class="visually-hidden"> ${u.name}</span></button></form></td></tr>`,
    )}</tbody></table></div>
${list.length === PAGE ? html`<p><a href="/admin?after=${encodeURIComponent(list.at(-1)!.name)}">More users →</a></p>` : ''}
</section>
<section aria-labelledby="audit-h"><h2 id="audit-h">Audit log</h2>
<form method="get" action="/admin" class="stack inline-fields">
<div><label for="f-actor">Actor</label><input id="f-actor" name="actor" value="${actor}"></div>
<div><label for="f-action">Action</label><input id="f-action" name="action" value="${action}" placeholder="e.g. app.updated"></div>
<button type="submit">Filter</button></form>
${auditTable(entries)}
${last && entries.length === PAGE ? html`<p><a href="/admin?${new URLSearchParams({ ...(actor ? { actor } : {}), ...(action ? { action } : {}), before: String(last.id) }).toString()}#audit-h">Older entries →</a></p>` : ''}
</section>
</div>`;
    res
      .status(st.status ?? 200)
      .set('Cache-Control', 'no-store')
      .send(
        renderPage(ctx, {
          title: 'Administration',
          description: 'Users, audit log and garbage collection.',
          noindex: true,
          body,
        }),
      );
  };

  router.get('/admin', (req, res) => show(req, res));

  router.post('/admin/users/:name', (req, res) => {
    const me = admin(res.locals.web);
    const disabled = field(formOf(req), 'disabled') === 'true';
    try {
      changeUser({ users, audit }, me, String(req.params.name), { disabled }, addressOf(req));
    } catch (err) {
      if (!(err instanceof StoreError) || err.code !== 'conflict') throw err;
      return show(req, res, { status: 409, error: 'You cannot disable yourself.' });
    }
    res.redirect(303, '/admin?done=user');
  });

  router.post('/admin/gc', async (req, res) => {
    const me = admin(res.locals.web);
    const dryRun = field(formOf(req), 'dryRun') !== 'false';
    const report = await s.deps.registry.gc.run({ dryRun });
    if (!dryRun)
      audit.record({
        actor: me.name,
        action: 'registry.gc',
        address: addressOf(req),
        detail: { bytesFreed: report.bytesFreed },
      });
    show(req, res, {
      gc: report,
      done: dryRun ? 'Dry run finished: nothing was deleted.' : 'Garbage collection finished.',
    });
  });
}

function gcReport(r: GcReport): SafeHtml {
  return html`<dl class="report">
<div><dt>Manifests</dt><dd>${r.manifestsDeleted}</dd></div><div><dt>Blobs</dt><dd>${r.blobsDeleted}</dd></div>
<div><dt>Uploads</dt><dd>${r.uploadsDeleted}</dd></div><div><dt>Orphan files</dt><dd>${r.orphanFilesDeleted}</dd></div>
<div><dt>${r.dryRun ? 'Would free' : 'Freed'}</dt><dd>${(r.bytesFreed / 1_048_576).toFixed(1)} MiB</dd></div><div><dt>Took</dt><dd>${r.durationMs} ms</dd></div>
</dl>`;
}

function auditTable(
  entries: {
    id: number;
    at: string;
    actor: string;
    action: string;
    target: string;
    address: string;
    detail: unknown;
  }[],
): SafeHtml {
  if (!entries.length) return html`<p class="empty">No entries.</p>`;
  return html`<div class="table-scroll"><table class="data audit"><thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">What</th><th scope="col">Target</th><th scope="col">From</th><th scope="col">Detail</th></tr></thead>
<tbody>${entries.map((e) => html`<tr><td>${dateTime(e.at)}</td><td>${e.actor}</td><td><code>${e.action}</code></td><td>${e.target}</td><td>${e.address}</td><td class="mono small">${JSON.stringify(e.detail)}</td></tr>`)}</tbody></table></div>`;
}
