import { Router } from 'express';
import { z } from 'zod';
import type { Registry } from '../../registry/index.js';
import type { Permissions } from '../auth/permissions.js';
import { requireUser } from '../http/authenticate.js';
import { StoreError } from '../errors.js';

const GcQuery = z.strictObject({
  dryRun: z.enum(['true', 'false']).optional(),
  graceSeconds: z.coerce.number().int().nonnegative().optional(),
  uploadTtlSeconds: z.coerce.number().int().nonnegative().optional(),
});

export function adminRoutes(deps: { registry: Registry; permissions: Permissions }): Router {
  const router = Router();
  router.post('/gc', async (req, res) => {
    const actor = requireUser(res.locals.principal);
    if (!deps.permissions.admin(actor)) throw new StoreError('forbidden', 'admin only');
    const query = GcQuery.safeParse(req.query);
    if (!query.success) throw new StoreError('invalid', z.prettifyError(query.error));
    const { dryRun, graceSeconds, uploadTtlSeconds } = query.data;
    const report = await deps.registry.gc.run({
      dryRun: dryRun === 'true',
      ...(graceSeconds !== undefined ? { graceSeconds } : {}),
      ...(uploadTtlSeconds !== undefined ? { uploadTtlSeconds } : {}),
    });
    res.json(report);
  });
  return router;
}
