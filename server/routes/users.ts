import express, { Router } from 'express';
import { z } from 'zod';
import type { AuditLog } from '../accounts/audit-log.js';
import type { Invitations } from '../accounts/invitations.js';
import type { Namespaces } from '../accounts/namespaces.js';
import { publicProfile, type Users } from '../accounts/users.js';
import type { Permissions } from '../auth/permissions.js';
import type { Principal } from '../auth/principal.js';
import { StoreError } from '../errors.js';
import { addressOf, requireUser } from '../http/authenticate.js';
import { parseInput } from '../http/validate.js';

const MAX_AVATAR_BYTES = 512 * 1024;

export const ProfileChange = z.strictObject({
  displayName: z.string().trim().max(64).optional(),
  bio: z.string().max(500).optional(),
  website: z.union([z.literal(''), z.url({ protocol: /^https?$/ }).max(200)]).optional(),
});

/** Image types we serve back, told by their first bytes (never by the client's word). */
export function imageTypeOf(bytes: Buffer): string | undefined {
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])))
    return 'image/png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (
    bytes.subarray(0, 6).toString('latin1') === 'GIF89a' ||
    bytes.subarray(0, 6).toString('latin1') === 'GIF87a'
  )
    return 'image/gif';
  if (
    bytes.subarray(0, 4).toString('latin1') === 'RIFF' &&
    bytes.subarray(8, 12).toString('latin1') === 'WEBP'
  )
    return 'image/webp';
  return undefined;
}

/** /api/v1/users: one's own profile, avatar and invitations, and public profiles. */
export function userRoutes(deps: {
  users: Users;
  namespaces: Namespaces;
  invitations: Invitations;
  permissions: Permissions;
  audit: AuditLog;
}): Router {
  const router = Router();
  const answering = async (p: Principal) => {
    const me = requireUser(p);
    if (!(await deps.permissions.ownInvitations(me, 'answer')))
      throw new StoreError('forbidden', 'answering an invitation needs a session or a push key');
    return me;
  };

  router.get('/me', async (_req, res) => {
    const me = requireUser(res.locals.principal);
    const user = await deps.users.byId(me.userId);
    if (!user) throw new StoreError('not_found', 'no such user');
    res.json({
      ...publicProfile(user),
      role: user.role,
      phone: user.phone,
      namespaces: await deps.namespaces.membershipsOf(user.id),
    });
  });

  router.patch('/me', async (req, res) => {
    const me = requireUser(res.locals.principal);
    const change = parseInput(ProfileChange, req.body, 'profile');
    const user = await deps.users.update(me.userId, change);
    await deps.audit.record({
      actor: me.name,
      action: 'user.updated',
      target: me.name,
      address: addressOf(req),
      detail: { fields: Object.keys(change) },
    });
    res.json({ ...publicProfile(user), role: user.role });
  });

  router.put(
    '/me/avatar',
    express.raw({ type: () => true, limit: MAX_AVATAR_BYTES }),
    async (req, res) => {
      const me = requireUser(res.locals.principal);
      const bytes = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const type = imageTypeOf(bytes);
      if (!type)
        throw new StoreError('invalid', 'the avatar must be a PNG, JPEG, GIF or WebP image');
      await deps.users.setAvatar(me.userId, bytes, type);
      await deps.audit.record({
        actor: me.name,
        action: 'user.avatar',
        target: me.name,
        address: addressOf(req),
        detail: { type, bytes: bytes.length },
      });
      res.json(publicProfile((await deps.users.byId(me.userId))!));
    },
  );

  router.delete('/me/avatar', async (req, res) => {
    const me = requireUser(res.locals.principal);
    await deps.users.setAvatar(me.userId, null, null);
    await deps.audit.record({
      actor: me.name,
      action: 'user.avatar',
      target: me.name,
      address: addressOf(req),
      detail: { removed: true },
    });
    res.status(204).end();
  });

  router.get('/me/invitations', async (_req, res) => {
    const me = requireUser(res.locals.principal);
    if (!(await deps.permissions.ownInvitations(me, 'read')))
      throw new StoreError('forbidden', 'this key may not read invitations');
    res.json({ invitations: await deps.invitations.forUser(me.userId) });
  });

  router.post('/me/invitations/:org/accept', async (req, res) => {
    const me = await answering(res.locals.principal);
    res.json(await deps.invitations.accept(me, req.params.org, addressOf(req)));
  });

  router.post('/me/invitations/:org/decline', async (req, res) => {
    const me = await answering(res.locals.principal);
    await deps.invitations.decline(me, req.params.org, addressOf(req));
    res.status(204).end();
  });

  router.get('/:name', async (req, res) => {
    const user = await deps.users.byName(req.params.name);
    if (!user || user.disabled) throw new StoreError('not_found', `no user "${req.params.name}"`);
    res.json(publicProfile(user));
  });

  router.get('/:name/avatar', async (req, res) => {
    const user = await deps.users.byName(req.params.name);
    if (!user?.avatar || !user.avatarType || user.disabled)
      throw new StoreError('not_found', 'no avatar');
    res
      .set({
        'Content-Type': user.avatarType,
        'Cache-Control': 'public, max-age=300',
        'X-Content-Type-Options': 'nosniff',
      })
      .send(user.avatar);
  });
  return router;
}
