import { Router, type Response } from 'express';
import { z } from 'zod';
import type { Registry } from '../../registry/index.js';
import type { AuditLog } from '../accounts/audit-log.js';
import { changeUser } from '../accounts/admin-users.js';
import { publicProfile, type Users } from '../accounts/users.js';
import type { AccessKeys } from '../auth/access-keys.js';
import type { Permissions } from '../auth/permissions.js';
import { addressOf, requireUser } from '../http/authenticate.js';
import { parseInput } from '../http/validate.js';
import { StoreError } from '../errors.js';
import type { Reindexer } from '../store/reindex.js';
import { QuotaSettings, type Quotas } from '../governance/quotas.js';

export const GcQuery = z.strictObject({
  dryRun: z.enum(['true', 'false']).optional(),
  graceSeconds: z.coerce.number().int().nonnegative().optional(),
  uploadTtlSeconds: z.coerce.number().int().nonnegative().optional(),
});
export const UserList = z.strictObject({
  after: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export const UserChange = z.strictObject({
  disabled: z.boolean().optional(),
  role: z.enum(['admin', 'user']).optional(),
});

/** /api/v1/admin: garbage collection, reindex, pull-through caches, users, keys. Admins only. */
export function adminRoutes(deps: {
  registry: Registry;
  permissions: Permissions;
  users: Users;
  keys: AccessKeys;
  audit: AuditLog;
  reindex: Reindexer;
  quotas: Quotas;
}): Router {
  const router = Router();
  const admin = async (res: Response) => {
    const actor = requireUser(res.locals.principal);
    if (!(await deps.permissions.admin(actor))) throw new StoreError('forbidden', 'admin only');
    return actor;
  };

  router.put('/quotas/:namespace', async (req, res) => {
    const actor = await admin(res);
    const settings = parseInput(QuotaSettings, req.body, 'quota');
    const usage = await deps.quotas.set(req.params.namespace, settings);
    await deps.audit.record({
      actor: actor.name,
      action: 'namespace.quota_set',
      target: req.params.namespace,
      address: addressOf(req),
      detail: settings,
    });
    res.json(usage);
  });

  router.post('/gc', async (req, res) => {
    const actor = await admin(res);
    const { dryRun, graceSeconds, uploadTtlSeconds } = parseInput(GcQuery, req.query, 'query');
    const report = await deps.registry.gc.run({
      dryRun: dryRun === 'true',
      ...(graceSeconds !== undefined ? { graceSeconds } : {}),
      ...(uploadTtlSeconds !== undefined ? { uploadTtlSeconds } : {}),
    });
    if (dryRun !== 'true')
      await deps.audit.record({
        actor: actor.name,
        action: 'registry.gc',
        address: addressOf(req),
        detail: { bytesFreed: report.bytesFreed },
      });
    res.json(report);
  });

  /** The pull-through caches: what each holds and how it served (issue 14's shape). */
  router.get('/proxies', async (_req, res) => {
    await admin(res);
    res.json({ items: await deps.registry.proxyStats() });
  });

  router.post('/reindex', async (req, res) => {
    const actor = await admin(res);
    const report = await deps.reindex.run();
    await deps.audit.record({
      actor: actor.name,
      action: 'store.reindexed',
      address: addressOf(req),
      detail: { apps: report.apps, versions: report.versions, skipped: report.skipped.length },
    });
    res.json(report);
  });

  router.get('/users', async (req, res) => {
    await admin(res);
    const { after, limit } = parseInput(UserList, req.query, 'query');
    const users = (await deps.users.list({ after, limit })).map((u) => ({
      ...publicProfile(u),
      role: u.role,
      disabled: u.disabled,
      phone: u.phone,
    }));
    res.json({ users, next: users.length === limit ? (users.at(-1)?.name ?? null) : null });
  });

  router.patch('/users/:name', async (req, res) => {
    const actor = await admin(res);
    const change = parseInput(UserChange, req.body, 'change');
    const updated = await changeUser(deps, actor, req.params.name, change, addressOf(req));
    res.json({ ...publicProfile(updated), role: updated.role, disabled: updated.disabled });
  });

  router.delete('/keys/:id', async (req, res) => {
    const actor = await admin(res);
    const id = Number(req.params.id);
    const key = Number.isSafeInteger(id) ? await deps.keys.get(id) : undefined;
    if (!key || key.revoked) throw new StoreError('not_found', 'no such key');
    await deps.keys.revoke(id);
    await deps.audit.record({
      actor: actor.name,
      action: 'key.revoked',
      target: `key:${id}`,
      address: addressOf(req),
      detail: { name: key.name, by: 'admin' },
    });
    res.status(204).end();
  });
  return router;
}
