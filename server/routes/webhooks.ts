import { Router, type Request } from 'express';
import { z } from 'zod';
import { NewWebhook } from '../../schemas/webhooks.js';
import { addressOf } from '../http/authenticate.js';
import { parseInput } from '../http/validate.js';
import type { HookScope, WebhookService } from '../webhooks/webhook-service.js';

const Id = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);
export const DeliveriesQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: Id.optional(),
});

/**
 * The webhook routes under a scope: `/api/v1/namespaces/{namespace}/webhooks` and
 * `/api/v1/apps/{namespace}/{app}/webhooks` (docs/governance.md).
 */
function hookRoutes(hooks: WebhookService, scopeOf: (req: Request) => HookScope): Router {
  const router = Router({ mergeParams: true });
  const caller = (req: Request, principal: Parameters<WebhookService['list']>[0]) => ({
    principal,
    address: addressOf(req),
  });
  const id = (value: unknown, what = 'webhook id') => parseInput(Id, value, what);

  router.post('/', async (req, res) => {
    const input = parseInput(NewWebhook, req.body, 'webhook');
    res
      .status(201)
      .json(await hooks.create(caller(req, res.locals.principal), scopeOf(req), input));
  });
  router.get('/', async (req, res) => {
    res.json({ webhooks: await hooks.list(res.locals.principal, scopeOf(req)) });
  });
  router.get('/:id', async (req, res) => {
    res.json(await hooks.get(res.locals.principal, scopeOf(req), id(req.params.id)));
  });
  router.delete('/:id', async (req, res) => {
    await hooks.remove(caller(req, res.locals.principal), scopeOf(req), id(req.params.id));
    res.status(204).end();
  });
  router.get('/:id/deliveries', async (req, res) => {
    const q = parseInput(DeliveriesQuery, req.query, 'query');
    const list = await hooks.deliveries(
      res.locals.principal,
      scopeOf(req),
      id(req.params.id),
      q.limit,
      q.before,
    );
    res.json({ deliveries: list });
  });
  router.post('/:id/deliveries/:delivery/redeliver', async (req, res) => {
    const delivery = await hooks.redeliver(
      caller(req, res.locals.principal),
      scopeOf(req),
      id(req.params.id),
      id(req.params.delivery, 'delivery id'),
    );
    res.status(202).json(delivery);
  });
  return router;
}

/** Mounted at /api/v1/namespaces. */
export function namespaceWebhookRoutes(hooks: WebhookService): Router {
  const router = Router();
  router.use(
    '/:namespace/webhooks',
    hookRoutes(hooks, (req) => ({ namespace: String(req.params.namespace) })),
  );
  return router;
}

/** Mounted at /api/v1/apps, before the app routes. */
export function appWebhookRoutes(hooks: WebhookService): Router {
  const router = Router();
  router.use(
    '/:namespace/:app/webhooks',
    hookRoutes(hooks, (req) => ({
      namespace: String(req.params.namespace),
      app: String(req.params.app),
    })),
  );
  return router;
}
