import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { AuditLog } from '../accounts/audit-log.js';
import type { Invitations } from '../accounts/invitations.js';
import { MEMBER_ROLES, type MemberRole, type Namespaces } from '../accounts/namespaces.js';
import type { Users } from '../accounts/users.js';
import type { Permissions } from '../auth/permissions.js';
import { Organisations, type OrgCaller } from '../accounts/organisations.js';
import { addressOf, requireUser } from '../http/authenticate.js';
import { parseInput } from '../http/validate.js';

export const NewOrg = z.strictObject({
  name: z.string().min(1).max(64),
  displayName: z.string().trim().max(64).default(''),
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

  router.post('/', (req, res) => {
    const by = caller(req, res);
    const { name, displayName } = parseInput(NewOrg, req.body, 'organisation');
    const org = orgs.create(by, name, displayName);
    res.status(201).json({ name: org.name, displayName: org.displayName, kind: org.kind });
  });

  router.get('/:org', (req, res) => {
    res.json(orgs.get(req.params.org));
  });

  router.get('/:org/members', (req, res) => {
    const me = requireUser(res.locals.principal);
    res.json({ members: orgs.members(me, req.params.org) });
  });

  // A member's role changes at once; anyone else is invited, and joins by accepting (202).
  router.put('/:org/members/:user', (req, res) => {
    const by = caller(req, res);
    const { role } = parseInput(Membership, req.body, 'membership');
    const done = orgs.setMember(by, req.params.org, req.params.user, role as MemberRole);
    if (done.kind === 'invited') res.status(202).json({ invitation: done.invitation });
    else res.json({ members: done.members });
  });

  // Removes a member (or oneself: leaving), else withdraws a pending invitation.
  router.delete('/:org/members/:user', (req, res) => {
    orgs.remove(caller(req, res), req.params.org, req.params.user);
    res.status(204).end();
  });

  // Only the member themselves shows or hides their membership on the publisher page.
  router.put('/:org/members/:user/visibility', (req, res) => {
    const by = caller(req, res);
    const { public: visible } = parseInput(MemberVisibility, req.body, 'visibility');
    res.json({ members: orgs.setPublic(by, req.params.org, req.params.user, visible) });
  });

  router.get('/:org/invitations', (req, res) => {
    const me = requireUser(res.locals.principal);
    res.json({ invitations: orgs.pending(me, req.params.org) });
  });
  return router;
}
