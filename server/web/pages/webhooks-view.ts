/**
 * The webhooks section of the app management page and of a namespace's webhooks page: each hook
 * with its latest deliveries (state, status code, attempts, error) and a redeliver button, a
 * delete button, and the form that adds a hook. Secrets are typed in and never shown again.
 */
import { WEBHOOK_EVENTS, type NewWebhook } from '../../../schemas/webhooks.js';
import { StoreError } from '../../errors.js';
import type { DeliveryView, HookScope, HookView } from '../../webhooks/webhook-service.js';
import type { WebContext } from '../context.js';
import { field, fieldList, type Fields } from '../form.js';
import { html, type SafeHtml } from '../html.js';
import { csrfField } from '../layout.js';
import type { WebServices } from '../services.js';
import { dateTime } from './parts.js';

/** How many deliveries a hook shows (the API pages through all of them). */
const SHOWN_DELIVERIES = 10;

export const WEBHOOK_DONE: Record<string, string> = {
  'webhook-added': 'The webhook is added.',
  'webhook-deleted': 'The webhook is deleted.',
  redelivered: 'The delivery is sent again.',
};

export interface HookWithDeliveries {
  hook: HookView;
  deliveries: DeliveryView[];
}

/** The scope's hooks and their latest deliveries, or undefined when `ctx`'s user may not manage them. */
export async function hooksOf(
  s: WebServices,
  ctx: WebContext,
  scope: HookScope,
): Promise<HookWithDeliveries[] | undefined> {
  const hooks = s.deps.webhooks;
  if (!hooks || !(await hooks.mayManage(ctx.principal, scope.namespace))) return undefined;
  const list = [];
  for (const hook of await hooks.list(ctx.principal, scope))
    list.push({
      hook,
      deliveries: await hooks.deliveries(ctx.principal, scope, hook.id, SHOWN_DELIVERIES),
    });
  return list;
}

/** The add form's fields as the API's body (validated by the service's caller with NewWebhook). */
export function newWebhookOf(form: Fields): unknown {
  return {
    url: field(form, 'url').trim(),
    events: fieldList(form, 'events'),
    secret: field(form, 'secret'),
    format: field(form, 'format') || 'default',
  } satisfies Record<keyof NewWebhook, unknown>;
}

/** A positive id from a path parameter, or the documented 404. */
export function idOf(value: unknown): number {
  const id = Number(value);
  if (!Number.isSafeInteger(id) || id <= 0) throw new StoreError('not_found', 'no such webhook');
  return id;
}

export function webhooksSection(
  ctx: WebContext,
  list: HookWithDeliveries[],
  /** The path the forms post to (`.../webhooks`). */
  base: string,
  whose: string,
): SafeHtml {
  return html`<section aria-labelledby="webhooks-h"><h2 id="webhooks-h">Webhooks</h2>
<p class="help">Each event of ${whose} you choose is posted to the URL as JSON, signed with the secret in <code>X-Appshelf-Signature: sha256=…</code>. Failed deliveries are retried for 24 hours.</p>
${list.length ? list.map((h) => hookBox(ctx, h, base)) : html`<p class="empty">No webhooks yet.</p>`}
${addForm(ctx, base)}
</section>`;
}

function hookBox(
  ctx: WebContext,
  { hook, deliveries }: HookWithDeliveries,
  base: string,
): SafeHtml {
  const path = `${base}/${hook.id}`;
  return html`<div class="box webhook">
<h3>Webhook ${hook.id}: <code>${hook.url}</code></h3>
<p class="muted">${hook.events.join(', ')} · ${hook.format === 'cloudevents' ? 'CloudEvents 1.0' : 'JSON'} · added by ${hook.createdBy} ${dateTime(hook.createdAt)}</p>
<form method="post" action="${path}/delete" class="inline" data-confirm="Delete webhook ${hook.id} and its delivery history?">${csrfField(ctx)}<button type="submit" class="danger small">Delete<span class="visually-hidden"> webhook ${hook.id}</span></button></form>
${deliveries.length ? deliveryTable(ctx, hook, deliveries, path) : html`<p class="empty">No deliveries yet.</p>`}
</div>`;
}

function deliveryTable(
  ctx: WebContext,
  hook: HookView,
  deliveries: DeliveryView[],
  path: string,
): SafeHtml {
  return html`<div class="table-scroll"><table class="data deliveries">
<caption class="visually-hidden">Latest deliveries of webhook ${hook.id}</caption>
<thead><tr><th scope="col">Delivery</th><th scope="col">Event</th><th scope="col">State</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col">Last attempt</th><th scope="col">Error</th><th scope="col">Actions</th></tr></thead>
<tbody>${deliveries.map(
    (
      d,
    ) => html`<tr><th scope="row">${d.id}${d.redeliveryOf ? html` <span class="muted small">(again ${d.redeliveryOf})</span>` : ''}</th><td>${d.event}</td>
<td><span class="badge${d.state === 'delivered' ? ' ok' : ''}">${d.state}</span></td><td>${d.statusCode ?? '–'}</td><td>${d.attempts}</td>
<td>${d.lastAttemptAt ? html`<time datetime="${d.lastAttemptAt}">${dateTime(d.lastAttemptAt)}</time>` : '–'}${d.nextAttemptAt && d.attempts > 0 ? html`<br><span class="muted small">next ${dateTime(d.nextAttemptAt)}</span>` : ''}</td>
<td>${d.error ?? ''}</td>
<td><form method="post" action="${path}/deliveries/${d.id}/redeliver" class="inline">${csrfField(ctx)}<button type="submit" class="secondary small">Redeliver<span class="visually-hidden"> delivery ${d.id}</span></button></form></td></tr>`,
  )}</tbody></table></div>`;
}

function addForm(ctx: WebContext, base: string): SafeHtml {
  return html`<form method="post" action="${base}" class="stack box">${csrfField(ctx)}
<h3>Add a webhook</h3>
<label for="hook-url">Payload URL</label><input id="hook-url" name="url" type="url" required placeholder="https://" maxlength="2048">
<fieldset><legend>Events</legend>
${WEBHOOK_EVENTS.map((e) => html`<label class="check"><input type="checkbox" name="events" value="${e}"${e === 'push' || e === 'publish' ? html` checked` : ''}> ${e}</label>`)}
</fieldset>
<label for="hook-secret">Secret</label><input id="hook-secret" name="secret" type="password" required minlength="16" maxlength="256" autocomplete="off" aria-describedby="hook-secret-help">
<p id="hook-secret-help" class="help">At least 16 characters. The receiver checks the HMAC-SHA256 of each body with it; it is not shown again.</p>
<label for="hook-format">Format</label><select id="hook-format" name="format"><option value="default">JSON (appshelf)</option><option value="cloudevents">CloudEvents 1.0 (structured)</option></select>
<div class="buttons"><button type="submit">Add the webhook</button></div>
</form>`;
}
