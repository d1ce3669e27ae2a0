/** Admin: what each namespace holds, the GC runs and what they freed, and the sync jobs. */
import type { Router } from 'express';
import { formatBytes } from '../../governance/quotas.js';
import { html, type SafeHtml } from '../html.js';
import { renderPage } from '../layout.js';
import type { WebServices } from '../services.js';
import { adminNav, requireAdmin } from './admin-nav.js';
import { dateTime } from './parts.js';

const GC_RUNS = 20;
const FAILED_JOBS = 20;

export function adminStorageRoutes(router: Router, s: WebServices): void {
  router.get('/admin/storage', async (_req, res) => {
    const ctx = res.locals.web;
    await requireAdmin(s, ctx);
    // GC runs are known from their audit rows (written by the API and the overview's Run button).
    const runs = await s.deps.accounts.audit.list({ action: 'registry.gc', limit: GC_RUNS });
    const namespaces = await namespacesSection(s);
    const body = html`<div class="wrap admin">
<h1>Storage</h1>
${adminNav('/admin/storage')}
${namespaces}
<section aria-labelledby="gc-runs-h"><h2 id="gc-runs-h">Garbage collection runs</h2>
${
  runs.length
    ? html`<div class="table-scroll" tabindex="0" role="region" aria-label="Garbage collection runs"><table class="data gc-runs"><thead><tr><th scope="col">When</th><th scope="col">By</th><th scope="col">Freed</th></tr></thead>
<tbody>${runs.map((r) => {
        const freed = (r.detail as { bytesFreed?: unknown }).bytesFreed;
        return html`<tr><td>${dateTime(r.at)}</td><td>${r.actor}</td><td>${typeof freed === 'number' ? formatBytes(freed) : '—'}</td></tr>`;
      })}</tbody></table></div>`
    : html`<p class="empty">No garbage collection has run yet.</p>`
}
</section>
${await syncSection(s)}
</div>`;
    res.set('Cache-Control', 'no-store').send(
      renderPage(ctx, {
        title: 'Storage · Administration',
        description: 'Bytes per namespace, garbage collection runs and sync jobs.',
        noindex: true,
        body,
      }),
    );
  });
}

async function namespacesSection(s: WebServices): Promise<SafeHtml | ''> {
  const quotas = s.deps.quotas;
  if (!quotas) return '';
  const list = await quotas.everyUsage();
  const size = (n: number) => (n ? formatBytes(n) : '—');
  return html`<section aria-labelledby="ns-h"><h2 id="ns-h">Bytes per namespace</h2>
<p>Each blob and manifest counts once per namespace, however many of its repositories share it.</p>
${
  list.length
    ? html`<div class="table-scroll" tabindex="0" role="region" aria-label="Bytes per namespace"><table class="data namespaces"><thead><tr><th scope="col">Namespace</th><th scope="col">Used</th><th scope="col">Limit</th><th scope="col">Warning</th></tr></thead>
<tbody>${list.map((q) => html`<tr><th scope="row"><a href="/publishers/${encodeURIComponent(q.namespace)}">${q.namespace}</a></th><td>${formatBytes(q.usedBytes)}</td><td>${size(q.limitBytes)}</td><td>${size(q.warnBytes)}</td></tr>`)}</tbody></table></div>`
    : html`<p class="empty">No namespaces yet.</p>`
}
</section>`;
}

async function syncSection(s: WebServices): Promise<SafeHtml | ''> {
  const jobs = s.deps.syncJobs;
  if (!jobs) return '';
  const [counts, failed] = await Promise.all([jobs.countByState(), jobs.latestFailed(FAILED_JOBS)]);
  return html`<section aria-labelledby="sync-h"><h2 id="sync-h">Sync jobs</h2>
<dl class="report">${Object.entries(counts).map(([state, n]) => html`<div><dt>${state}</dt><dd>${n}</dd></div>`)}</dl>
<h3>Latest failures</h3>
${
  failed.length
    ? html`<div class="table-scroll" tabindex="0" role="region" aria-label="Failed sync jobs"><table class="data sync-failed"><thead><tr><th scope="col">Job</th><th scope="col">When</th><th scope="col">Error</th></tr></thead>
<tbody>${failed.map((j) => html`<tr><td>${j.id}</td><td>${dateTime(new Date(j.updatedAt).toISOString())}</td><td>${j.error ? html`<code>${j.error.code}</code> ${j.error.message}` : '—'}</td></tr>`)}</tbody></table></div>`
    : html`<p class="empty">No sync job has failed.</p>`
}
</section>`;
}
