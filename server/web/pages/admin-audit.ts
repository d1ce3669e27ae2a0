/** Admin: the audit log as a table filtered by actor, action prefix, target and dates. */
import type { Router } from 'express';
import { html, type SafeHtml } from '../html.js';
import { renderPage } from '../layout.js';
import type { WebServices } from '../services.js';
import { adminNav, queryText, requireAdmin } from './admin-nav.js';
import { dateTime } from './parts.js';

const PAGE = 50;
const DAY_MS = 86_400_000;

/** `YYYY-MM-DD` as the first millisecond of that UTC day, or undefined. */
function dayStart(value: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return undefined;
  const t = Date.parse(`${value}T00:00:00Z`);
  return Number.isNaN(t) ? undefined : t;
}

export function adminAuditRoutes(router: Router, s: WebServices): void {
  router.get('/admin/audit', async (req, res) => {
    const ctx = res.locals.web;
    await requireAdmin(s, ctx);
    const filter = {
      actor: queryText(req, 'actor').trim(),
      action: queryText(req, 'action').trim(),
      target: queryText(req, 'target', 200).trim(),
      from: queryText(req, 'from'),
      to: queryText(req, 'to'),
    };
    const since = dayStart(filter.from);
    const untilDay = dayStart(filter.to);
    // Paging follows the id, so entries written meanwhile never shift a page.
    const before = Number(queryText(req, 'before'));
    const entries = await s.deps.accounts.audit.list({
      actor: filter.actor || undefined,
      actionPrefix: filter.action || undefined,
      target: filter.target || undefined,
      since,
      until: untilDay === undefined ? undefined : untilDay + DAY_MS - 1,
      before: Number.isSafeInteger(before) && before > 0 ? before : undefined,
      limit: PAGE,
    });
    const kept = Object.fromEntries(Object.entries(filter).filter(([, v]) => v));
    const last = entries.at(-1);
    const next =
      last && entries.length === PAGE
        ? new URLSearchParams({ ...kept, before: String(last.id) }).toString()
        : '';
    const body = html`<div class="wrap admin">
<h1>Audit log</h1>
${adminNav('/admin/audit')}
<form method="get" action="/admin/audit" class="stack inline-fields">
<div><label for="f-actor">Actor</label><input id="f-actor" name="actor" value="${filter.actor}"></div>
<div><label for="f-action">Action starts with</label><input id="f-action" name="action" value="${filter.action}" placeholder="e.g. user."></div>
<div><label for="f-target">Target</label><input id="f-target" name="target" value="${filter.target}"></div>
<div><label for="f-from">From</label><input id="f-from" name="from" type="date" value="${filter.from}"></div>
<div><label for="f-to">To</label><input id="f-to" name="to" type="date" value="${filter.to}"></div>
<button type="submit">Filter</button></form>
${auditTable(entries)}
<p>${queryText(req, 'before') ? html`<a href="/admin/audit?${new URLSearchParams(kept).toString()}">← Newest entries</a> ` : ''}${next ? html`<a href="/admin/audit?${next}">Older entries →</a>` : ''}</p>
</div>`;
    res.set('Cache-Control', 'no-store').send(
      renderPage(ctx, {
        title: 'Audit log · Administration',
        description: 'Who changed what, and when.',
        noindex: true,
        body,
      }),
    );
  });
}

/** A detail object as key: value lines (nested values stay compact JSON). */
function detailList(detail: unknown): SafeHtml | string {
  if (!detail || typeof detail !== 'object') return detail === undefined ? '' : String(detail);
  const rows = Object.entries(detail as Record<string, unknown>);
  if (!rows.length) return '';
  return html`<dl class="detail">${rows.map(
    ([k, v]) =>
      html`<div><dt>${k}</dt><dd>${typeof v === 'string' ? v : JSON.stringify(v)}</dd></div>`,
  )}</dl>`;
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
  return html`<div class="table-scroll" tabindex="0" role="region" aria-label="Audit entries"><table class="data audit"><thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">What</th><th scope="col">Target</th><th scope="col">From</th><th scope="col">Detail</th></tr></thead>
<tbody>${entries.map((e) => html`<tr><td>${dateTime(e.at)}</td><td>${e.actor}</td><td><code>${e.action}</code></td><td>${e.target}</td><td>${e.address}</td><td class="small">${detailList(e.detail)}</td></tr>`)}</tbody></table></div>`;
}
