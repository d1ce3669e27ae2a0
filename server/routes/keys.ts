import { Router } from 'express';
import { z } from 'zod';
import type { AccessKeys } from '../auth/access-keys.js';
import type { AuditLog } from '../accounts/audit-log.js';
import { KEY_SCOPES } from '../auth/principal.js';
import { StoreError } from '../errors.js';
import { addressOf, requireUser } from '../http/authenticate.js';
import { parseInput } from '../http/validate.js';

const MAX_KEYS_PER_USER = 100;

export const NewKey = z.strictObject({
  name: z.string().trim().min(1).max(64),
  scopes: z
    .array(z.enum(KEY_SCOPES as [string, ...string[]]))
    .min(1)
    .max(3)
    .refine((s) => new Set(s).size === s.length, 'scopes must not repeat'),
  expiresAt: z.iso.datetime({ offset: true }).optional(),
});

/** /api/v1/keys: a user's access keys. The secret is in the create response only. */
export function keyRoutes(deps: {
  keys: AccessKeys;
  audit: AuditLog;
  clock: () => number;
}): Router {
  const router = Router();

  router.post('/', (req, res) => {
    const me = requireUser(res.locals.principal);
    if (me.keyScopes && !me.keyScopes.includes('push'))
      throw new StoreError(
        'forbidden',
        'creating keys needs a session or a key with the push scope',
      );
    const input = parseInput(NewKey, req.body, 'key');
    const expiresAt = input.expiresAt ? Date.parse(input.expiresAt) : undefined;
    if (expiresAt !== undefined && expiresAt <= deps.clock())
      throw new StoreError('invalid', 'expiresAt must be in the future', { field: 'expiresAt' });
    if (deps.keys.list(me.userId).length >= MAX_KEYS_PER_USER)
      throw new StoreError('conflict', `at most ${MAX_KEYS_PER_USER} keys; revoke one first`);
    const scopes = input.scopes as (typeof KEY_SCOPES)[number][];
    const created = deps.keys.create(
      me.userId,
      input.name,
      scopes,
      expiresAt !== undefined ? { expiresAt } : {},
    );
    deps.audit.record({
      actor: me.name,
      action: 'key.created',
      target: `key:${created.id}`,
      address: addressOf(req),
      detail: { name: input.name, scopes, prefix: created.prefix },
    });
    const info = deps.keys.list(me.userId).find((k) => k.id === created.id);
    res
      .status(201)
      .set('Cache-Control', 'no-store')
      .json({ ...info, key: created.key });
  });

  router.get('/', (_req, res) => {
    const me = requireUser(res.locals.principal);
    res.json({ keys: deps.keys.list(me.userId) });
  });

  router.delete('/:id', (req, res) => {
    const me = requireUser(res.locals.principal);
    const id = Number(req.params.id);
    const key = Number.isSafeInteger(id) ? deps.keys.get(id) : undefined;
    if (!key || key.revoked || key.userId !== me.userId)
      throw new StoreError('not_found', 'no such key');
    deps.keys.revoke(id);
    deps.audit.record({
      actor: me.name,
      action: 'key.revoked',
      target: `key:${id}`,
      address: addressOf(req),
      detail: { name: key.name },
    });
    res.status(204).end();
  });
  return router;
}
