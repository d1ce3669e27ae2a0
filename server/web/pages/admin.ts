/** The admin overview: garbage collection, storage quotas, and the way to the other admin pages. */
import type { Request, Response, Router } from 'express';
import type { Registry } from '../../../registry/index.js';
import { StoreError } from '../../errors.js';
import { addressOf } from '../../http/authenticate.js';
import { type WebContext } from '../context.js';
import { field, formOf } from '../form.js';
import { html, type SafeHtml } from '../html.js';
import { csrfField, notice, renderPage } from '../layout.js';
import type { WebServices } from '../services.js';
import { adminNav, requireAdmin } from './admin-nav.js';
import { formatBytes, QuotaSettings } from '../../governance/quotas.js';
import { BYTE_SIZE_RULE, parseByteSize } from '../../../schemas/byte-size.js';

const DONE: Record<string, string> = {
  quota: 'The quota is set.',
};
type GcReport = Awaited<ReturnType<Registry['gc']['run']>>;

export function adminRoutes(router: Router, s: WebServices): void {
  const { audit } = s.deps.accounts;
  const admin = (ctx: WebContext) => requireAdmin(s, ctx);
  const q = (req: Request, name: string): string =>
    typeof req.query[name] === 'string' ? req.query[name] : '';

  const show = async (
    req: Request,
    res: Response,
    st: { error?: string; done?: string; gc?: GcReport; status?: number } = {},
  ): Promise<void> => {
    const ctx = res.locals.web;
    await admin(ctx);
    const quotas = await quotasSection(ctx, s);
    const body = html`<div class="wrap admin">
<h1>Administration</h1>
${adminNav('/admin')}
${notice(st.error, 'error')}${notice(st.done ?? DONE[q(req, 'done')])}
<section aria-labelledby="gc-h" class="box"><h2 id="gc-h">Garbage collection</h2>
<p>Frees the storage of blobs and manifests nothing refers to any more, and stale uploads. A dry run only counts.</p>
<form method="post" action="/admin/gc" class="inline">${csrfField(ctx)}<input type="hidden" name="dryRun" value="true"><button type="submit" class="secondary">Dry run</button></form>
<form method="post" action="/admin/gc" class="inline" data-confirm="Run garbage collection now?">${csrfField(ctx)}<input type="hidden" name="dryRun" value="false"><button type="submit" class="danger">Run</button></form>
${st.gc ? gcReport(st.gc) : ''}
</section>
${quotas}
<section aria-labelledby="more-h"><h2 id="more-h">More</h2>
<ul class="links"><li><a href="/admin/users">Users</a>: search, disable, enable, promote, demote.</li>
<li><a href="/admin/storage">Storage</a>: bytes per namespace, garbage collection runs, sync jobs.</li>
<li><a href="/admin/audit">Audit log</a>: who changed what, filtered by actor, action, target and dates.</li></ul>
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

  router.get('/admin', async (req, res) => show(req, res));

  router.post('/admin/quotas', async (req, res) => {
    const me = await admin(res.locals.web);
    const quotas = s.deps.quotas;
    if (!quotas) throw new StoreError('not_found', 'Quotas are not available.');
    const form = formOf(req);
    const namespace = field(form, 'namespace').trim();
    const limitBytes = parseByteSize(field(form, 'limit') || '0');
    const warnBytes = parseByteSize(field(form, 'warn') || '0');
    if (limitBytes === undefined || warnBytes === undefined)
      return show(req, res, { status: 400, error: `Limit and warning: ${BYTE_SIZE_RULE}.` });
    const settings = QuotaSettings.safeParse({ limitBytes, warnBytes });
    if (!settings.success)
      return show(req, res, { status: 400, error: 'The warning level must not exceed the limit.' });
    try {
      await quotas.set(namespace, settings.data);
    } catch (err) {
      if (!(err instanceof StoreError) || err.code !== 'not_found') throw err;
      return show(req, res, { status: 404, error: `There is no namespace "${namespace}".` });
    }
    await audit.record({
      actor: me.name,
      action: 'namespace.quota_set',
      target: namespace,
      address: addressOf(req),
      detail: settings.data,
    });
    res.redirect(303, '/admin?done=quota#quotas-h');
  });

  router.post('/admin/gc', async (req, res) => {
    const me = await admin(res.locals.web);
    const dryRun = field(formOf(req), 'dryRun') !== 'false';
    const report = await s.deps.registry.gc.run({ dryRun });
    if (!dryRun)
      await audit.record({
        actor: me.name,
        action: 'registry.gc',
        address: addressOf(req),
        detail: { bytesFreed: report.bytesFreed },
      });
    await show(req, res, {
      gc: report,
      done: dryRun ? 'Dry run finished: nothing was deleted.' : 'Garbage collection finished.',
    });
  });
}

/** Namespaces with a quota and their usage, and the form that sets one (0 or empty: none). */
async function quotasSection(ctx: WebContext, s: WebServices): Promise<SafeHtml | ''> {
  const quotas = s.deps.quotas;
  if (!quotas) return '';
  const list = await quotas.withQuotas();
  const size = (n: number) => (n ? formatBytes(n) : '—');
  return html`<section aria-labelledby="quotas-h" class="box"><h2 id="quotas-h">Storage quotas</h2>
<p>Per namespace: a push past the limit is refused; passing the warning level tells the namespace's <code>quota_warning</code> webhooks. A blob shared by several repositories of a namespace counts once.</p>
${
  list.length
    ? html`<div class="table-scroll"><table class="data quotas"><thead><tr><th scope="col">Namespace</th><th scope="col">Used</th><th scope="col">Limit</th><th scope="col">Warning</th></tr></thead>
<tbody>${list.map((q) => html`<tr><th scope="row">${q.namespace}</th><td>${formatBytes(q.usedBytes)}</td><td>${size(q.limitBytes)}</td><td>${size(q.warnBytes)}</td></tr>`)}</tbody></table></div>`
    : html`<p class="empty">No namespace has a quota.</p>`
}
<form method="post" action="/admin/quotas" class="stack inline-fields">${csrfField(ctx)}
<div><label for="q-ns">Namespace</label><input id="q-ns" name="namespace" required></div>
<div><label for="q-limit">Limit</label><input id="q-limit" name="limit" placeholder="10GiB" aria-describedby="q-help"></div>
<div><label for="q-warn">Warning at</label><input id="q-warn" name="warn" placeholder="8GiB" aria-describedby="q-help"></div>
<button type="submit">Set quota</button></form>
<p id="q-help" class="help">Sizes like 10GiB or 500MB; 0 or empty: none. Both none removes the quota.</p>
</section>`;
}

function gcReport(r: GcReport): SafeHtml {
  return html`<dl class="report">
<div><dt>Manifests</dt><dd>${r.manifestsDeleted}</dd></div><div><dt>Blobs</dt><dd>${r.blobsDeleted}</dd></div>
<div><dt>Uploads</dt><dd>${r.uploadsDeleted}</dd></div><div><dt>Orphan files</dt><dd>${r.orphanFilesDeleted}</dd></div>
<div><dt>${r.dryRun ? 'Would free' : 'Freed'}</dt><dd>${(r.bytesFreed / 1_048_576).toFixed(1)} MiB</dd></div><div><dt>Took</dt><dd>${r.durationMs} ms</dd></div>
</dl>`;
}
