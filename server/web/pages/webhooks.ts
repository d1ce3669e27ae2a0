/**
 * A namespace's webhooks page, `/my/namespaces/{namespace}/webhooks` (owners and admins): the
 * hooks that hear every app of the namespace, their delivery history, redelivery, adding and
 * deleting. An app's own hooks are on its management page (manage-app.ts). Forms post here
 * (CSRF-checked by the router) and come back with a notice (Post/Redirect/Get).
 */
import type { Request, Response, Router } from 'express';
import { NewWebhook } from '../../../schemas/webhooks.js';
import { StoreError } from '../../errors.js';
import { addressOf } from '../../http/authenticate.js';
import { parseInput } from '../../http/validate.js';
import type { HookScope, WebhookService } from '../../webhooks/webhook-service.js';
import { signedIn } from '../context.js';
import { formOf } from '../form.js';
import { html } from '../html.js';
import { notice, renderPage } from '../layout.js';
import type { WebServices } from '../services.js';
import { hooksOf, idOf, newWebhookOf, WEBHOOK_DONE, webhooksSection } from './webhooks-view.js';

export function namespaceWebhooksPath(namespace: string): string {
  return `/my/namespaces/${encodeURIComponent(namespace)}/webhooks`;
}

export function namespaceWebhookRoutes(router: Router, s: WebServices): void {
  const hooks = s.deps.webhooks;
  if (!hooks) return;
  const base = '/my/namespaces/:ns/webhooks';
  const scopeOf = (req: Request): HookScope => ({ namespace: String(req.params.ns) });

  const show = async (
    req: Request,
    res: Response,
    extra: { error?: string; status?: number } = {},
  ): Promise<void> => {
    const ctx = res.locals.web;
    signedIn(ctx);
    const scope = scopeOf(req);
    const list = await hooksOf(s, ctx, scope);
    if (!list)
      throw new StoreError(
        'forbidden',
        `Only an owner of ${scope.namespace} manages its webhooks.`,
      );
    const done = typeof req.query.done === 'string' ? WEBHOOK_DONE[req.query.done] : undefined;
    const body = html`<div class="wrap namespace-webhooks">
<p class="crumbs"><a href="/my">My store</a> › <code>${scope.namespace}</code></p>
<h1>Webhooks of ${scope.namespace}</h1>
${notice(extra.error, 'error')}${extra.error ? '' : notice(done)}
${webhooksSection(ctx, list, namespaceWebhooksPath(scope.namespace), `every app of ${scope.namespace}`)}
</div>`;
    res
      .status(extra.status ?? 200)
      .set('Cache-Control', 'no-store')
      .send(
        renderPage(ctx, {
          title: `Webhooks of ${scope.namespace}`,
          description: `The webhooks of ${scope.namespace}.`,
          noindex: true,
          body,
        }),
      );
  };

  const act =
    (handler: (req: Request, res: Response, hooks: WebhookService) => Promise<string> | string) =>
    async (req: Request, res: Response) => {
      try {
        const done = await handler(req, res, hooks);
        res.redirect(303, `${namespaceWebhooksPath(scopeOf(req).namespace)}?done=${done}`);
      } catch (err) {
        if (!(err instanceof StoreError) || err.status >= 500 || err.code === 'not_found')
          throw err;
        await show(req, res, { error: err.message, status: err.status });
      }
    };

  router.get(base, (req, res) => show(req, res));
  router.post(base, act(webhookActions.create(scopeOf)));
  router.post(`${base}/:id/delete`, act(webhookActions.remove(scopeOf)));
  router.post(`${base}/:id/deliveries/:delivery/redeliver`, act(webhookActions.redeliver(scopeOf)));
}

/** The three form actions, for a namespace's page and an app's: each returns its notice code. */
export const webhookActions = {
  create:
    (scopeOf: (req: Request) => HookScope) =>
    async (req: Request, res: Response, hooks: WebhookService): Promise<string> => {
      const input = parseInput(NewWebhook, newWebhookOf(formOf(req)), 'webhook');
      await hooks.create(callerOf(req, res), scopeOf(req), input);
      return 'webhook-added';
    },
  remove:
    (scopeOf: (req: Request) => HookScope) =>
    async (req: Request, res: Response, hooks: WebhookService): Promise<string> => {
      await hooks.remove(callerOf(req, res), scopeOf(req), idOf(req.params.id));
      return 'webhook-deleted';
    },
  redeliver:
    (scopeOf: (req: Request) => HookScope) =>
    async (req: Request, res: Response, hooks: WebhookService): Promise<string> => {
      await hooks.redeliver(
        callerOf(req, res),
        scopeOf(req),
        idOf(req.params.id),
        idOf(req.params.delivery),
      );
      return 'redelivered';
    },
};

function callerOf(req: Request, res: Response) {
  return { principal: signedIn(res.locals.web), address: addressOf(req) };
}
