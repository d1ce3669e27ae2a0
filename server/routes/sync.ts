import { Router, type Request } from 'express';
import { PublishRequest, SyncRetryRequest } from '../../schemas/sync.js';
import type { AuditLog } from '../accounts/audit-log.js';
import { addressOf, requireUser } from '../http/authenticate.js';
import { parseInput } from '../http/validate.js';
import type { ImageSync, VersionRef } from '../store/sync/image-sync.js';

type Params = { ns: string; app: string; v: string };

/**
 * /api/v1/apps/:ns/:app/versions/:v/{publish,sync,sync/retry}: publish a draft version (copy its
 * images in, then write the bundle), watch the job, retry failed components. Other /apps paths
 * fall through to the apps router.
 */
export function syncRoutes(deps: { sync: ImageSync; audit: AuditLog }): Router {
  const router = Router();
  const refOf = (req: Request<Params>): VersionRef => ({
    namespace: req.params.ns,
    name: req.params.app,
    version: req.params.v,
  });

  router.post('/:ns/:app/versions/:v/publish', async (req: Request<Params>, res) => {
    const me = requireUser(res.locals.principal);
    const input = parseInput(PublishRequest, req.body, 'publish request');
    const ref = refOf(req);
    const job = await deps.sync.publish(me, ref, input, req.get('host'));
    const registries = (input.credentials ?? []).map((c) => c.registry);
    await deps.audit.record({
      actor: me.name,
      action: 'version.published',
      target: `${ref.namespace}/${ref.name}:${ref.version}`,
      address: addressOf(req),
      detail: { job: job.id, registries },
    });
    res
      .status(202)
      .location(`${req.baseUrl}/${ref.namespace}/${ref.name}/versions/${ref.version}/sync`)
      .json(job);
  });

  router.get('/:ns/:app/versions/:v/sync', async (req: Request<Params>, res) => {
    const job = await deps.sync.status(res.locals.principal, refOf(req));
    res.set('Cache-Control', 'no-store').json(job);
  });

  router.post('/:ns/:app/versions/:v/sync/retry', async (req: Request<Params>, res) => {
    const me = requireUser(res.locals.principal);
    const input = parseInput(SyncRetryRequest, req.body, 'retry request');
    const ref = refOf(req);
    const job = await deps.sync.retry(me, ref, input, req.get('host'));
    await deps.audit.record({
      actor: me.name,
      action: 'version.sync-retried',
      target: `${ref.namespace}/${ref.name}:${ref.version}`,
      address: addressOf(req),
      detail: { job: job.id, component: input.component ?? null },
    });
    res.status(202).json(job);
  });
  return router;
}
