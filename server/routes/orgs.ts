import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { AuditLog } from '../accounts/audit-log.js';
import type { Invitations } from '../accounts/invitations.js';
import { MEMBER_ROLES, type MemberRole, type Namespaces } from '../accounts/namespaces.js';
import type { Users } from '../accounts/users.js';
import type { Permissions } from '../auth/permissions.js';
import { MAX_ORG_LOGO_BYTES, Organisations, type OrgCaller } from '../accounts/organisations.js';
import { StoreError } from '../errors.js';
import { addressOf, requireUser } from '../http/authenticate.js';
import { parseInput } from '../http/validate.js';
import { imageTypeOf } from './users.js';

export const NewOrg = z.strictObject({
  name: z.string().min(1).max(64),
  displayName: z.string().trim().max(64).default(''),
});
/** An organisation's profile, as a user's (users.ts ProfileChange): what the publisher page shows. */
export const OrgChange = z.strictObject({
  displayName: z.string().trim().max(64, 'at most 64 characters').optional(),
  about: z.string().max(500, 'at most 500 characters').optional(),
  website: z
    .union([
      z.literal(''),
      z.url({ protocol: /^https?$/, error: 'must be an http(s) address' }).max(200),
    ])
    .optional(),
});
export const MemberVisibility = z.strictObject({ public: z.boolean() });
export const Membership = z.strictObject({ role: z.enum(MEMBER_ROLES as [string, ...string[]]) });

/** /api/v1/orgs: organisations and their members; owners invite and manage members. */
export function orgRoutes(deps: {
  namespaces: Namespaces;
  users: Users;
  invitations: Invitations;
  permissions: Permissions;
  audit: AuditLog;
}): Router {
  const router = Router();
  const orgs = new Organisations(deps);
  const caller = (req: Request, res: Response): OrgCaller => ({
    principal: requireUser(res.locals.principal),
    address: addressOf(req),
  });

  router.post('/', async (req, res) => {
    const by = caller(req, res);
    const { name, displayName } = parseInput(NewOrg, req.body, 'organisation');
    const org = await orgs.create(by, name, displayName);
    res.status(201).json({ name: org.name, displayName: org.displayName, kind: org.kind });
  });

  router.get('/:org', async (req, res) => {
    res.json(await orgs.get(req.params.org));
  });

  router.patch('/:org', async (req, res) => {
    const by = caller(req, res);
    const change = parseInput(OrgChange, req.body, 'organisation');
    res.json(await orgs.updateProfile(by, req.params.org, change));
  });

  router.put(
    '/:org/logo',
    express.raw({ type: () => true, limit: MAX_ORG_LOGO_BYTES }),
    async (req, res) => {
      const by = caller(req, res);
      const bytes = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const type = imageTypeOf(bytes);
      if (!type) throw new StoreError('invalid', 'the logo must be a PNG, JPEG, GIF or WebP image');
      res.json(await orgs.setLogo(by, req.params.org, { bytes, type }));
    },
  );

  router.delete('/:org/logo', async (req, res) => {
    await orgs.setLogo(caller(req, res), req.params.org, null);
    res.status(204).end();
  });

  router.get('/:org/logo', async (req, res) => {
    const logo = await orgs.logo(req.params.org);
    res
      .set({
        'Content-Type': logo.type,
        'Cache-Control': 'public, max-age=300',
        'X-Content-Type-Options': 'nosniff',
        'Content-Security-Policy': "default-src 'none'",
      })
      .send(logo.bytes);
  });

  router.get('/:org/members', async (req, res) => {
    const me = requireUser(res.locals.principal);
    res.json({ members: await orgs.members(me, req.params.org) });
  });

  // A member's role changes at once; anyone else is invited, and joins by accepting (202).
  router.put('/:org/members/:user', async (req, res) => {
    const by = caller(req, res);
    const { role } = parseInput(Membership, req.body, 'membership');
    const done = await orgs.setMember(by, req.params.org, req.params.user, role as MemberRole);
    if (done.kind === 'invited') res.status(202).json({ invitation: done.invitation });
    else res.json({ members: done.members });
  });

  // Removes a member (or oneself: leaving), else withdraws a pending invitation.
  router.delete('/:org/members/:user', async (req, res) => {
    await orgs.remove(caller(req, res), req.params.org, req.params.user);
    res.status(204).end();
  });

  // Only the member themselves shows or hides their membership on the publisher page.
  router.put('/:org/members/:user/visibility', async (req, res) => {
    const by = caller(req, res);
    const { public: visible } = parseInput(MemberVisibility, req.body, 'visibility');
    res.json({ members: await orgs.setPublic(by, req.params.org, req.params.user, visible) });
  });

  router.get('/:org/invitations', async (req, res) => {
    const me = requireUser(res.locals.principal);
    res.json({ invitations: await orgs.pending(me, req.params.org) });
  });
  return router;
}
