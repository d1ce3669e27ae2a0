import { Router } from 'express';
import { z } from 'zod';
import type { AuditLog } from '../accounts/audit-log.js';
import type { Permissions } from '../auth/permissions.js';
import { StoreError } from '../errors.js';
import { requireUser } from '../http/authenticate.js';
import { parseInput } from '../http/validate.js';

export const Filter = z.strictObject({
  actor: z.string().max(64).optional(),
  action: z.string().max(64).optional(),
  target: z.string().max(256).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
  before: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/** GET /api/v1/audit: admins read the audit trail, newest first; `before=<id>` pages on. */
export function auditRoutes(deps: { audit: AuditLog; permissions: Permissions }): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    const me = requireUser(res.locals.principal);
    if (!(await deps.permissions.admin(me))) throw new StoreError('forbidden', 'admin only');
    const f = parseInput(Filter, req.query, 'filter');
    const entries = await deps.audit.list({
      actor: f.actor,
      action: f.action,
      target: f.target,
      since: f.since ? Date.parse(f.since) : undefined,
      until: f.until ? Date.parse(f.until) : undefined,
      before: f.before,
      limit: f.limit,
    });
    const last = entries.at(-1);
    res.json({ entries, next: entries.length === f.limit && last ? last.id : null });
  });
  return router;
}
