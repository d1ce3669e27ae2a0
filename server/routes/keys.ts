import { Router } from 'express';
import { z } from 'zod';
import type { AccessKeys } from '../auth/access-keys.js';
import type { OwnKeys } from '../accounts/own-keys.js';
import { KEY_SCOPES, type KeyScope } from '../auth/principal.js';
import { StoreError } from '../errors.js';
import { addressOf, requireUser } from '../http/authenticate.js';
import { parseInput } from '../http/validate.js';

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
export function keyRoutes(deps: { keys: AccessKeys; ownKeys: OwnKeys }): Router {
  const router = Router();

  router.post('/', async (req, res) => {
    const me = requireUser(res.locals.principal);
    if (me.keyScopes && !me.keyScopes.includes('push'))
      throw new StoreError(
        'forbidden',
        'creating keys needs a session or a key with the push scope',
      );
    const input = parseInput(NewKey, req.body, 'key');
    const created = await deps.ownKeys.create(
      me,
      {
        name: input.name,
        scopes: input.scopes as KeyScope[],
        expiresAt: input.expiresAt ? Date.parse(input.expiresAt) : undefined,
      },
      addressOf(req),
    );
    const info = (await deps.keys.list(me.userId)).find((k) => k.id === created.id);
    res
      .status(201)
      .set('Cache-Control', 'no-store')
      .json({ ...info, key: created.key });
  });

  router.get('/', async (_req, res) => {
    const me = requireUser(res.locals.principal);
    res.json({ keys: await deps.keys.list(me.userId) });
  });

  router.delete('/:id', async (req, res) => {
    const me = requireUser(res.locals.principal);
    await deps.ownKeys.revoke(me, Number(req.params.id), addressOf(req));
    res.status(204).end();
  });
  return router;
}
