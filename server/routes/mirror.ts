import { Router } from 'express';
import type { AuditLog } from '../accounts/audit-log.js';
import type { Permissions } from '../auth/permissions.js';
import { addressOf, requireUser } from '../http/authenticate.js';
import { StoreError } from '../errors.js';
import type { MirrorService } from '../mirror/mirror-service.js';

/** /api/v1/admin/mirror: the store mirror's state, and a run on demand. Admins only. */
export function mirrorRoutes(deps: {
  mirror: MirrorService;
  permissions: Permissions;
  audit: AuditLog;
}): Router {
  const router = Router();
  const admin = async (principal: Parameters<typeof requireUser>[0]) => {
    const actor = requireUser(principal);
    if (!(await deps.permissions.admin(actor))) throw new StoreError('forbidden', 'admin only');
    return actor;
  };

  router.get('/', async (_req, res) => {
    await admin(res.locals.principal);
    res.set('Cache-Control', 'no-store').json(await deps.mirror.status());
  });

  router.post('/:name/run', async (req, res) => {
    const actor = await admin(res.locals.principal);
    await deps.mirror.run(req.params.name);
    await deps.audit.record({
      actor: actor.name,
      action: 'mirror.run.requested',
      target: req.params.name,
      address: addressOf(req),
    });
    const item = (await deps.mirror.status()).items.find((i) => i.name === req.params.name);
    res.status(202).json(item);
  });
  return router;
}
