import { Router } from 'express';
import { z } from 'zod';
import type { AuditLog } from '../accounts/audit-log.js';
import type { Invitations } from '../accounts/invitations.js';
import { MEMBER_ROLES, type MemberRole, type Namespaces } from '../accounts/namespaces.js';
import type { Users } from '../accounts/users.js';
import type { Permissions } from '../auth/permissions.js';
import { StoreError } from '../errors.js';
import { addressOf, requireUser } from '../http/authenticate.js';
import { parseInput } from '../http/validate.js';

export const NewOrg = z.strictObject({
  name: z.string().min(1).max(64),
  displayName: z.string().trim().max(64).default(''),
});
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

  const org = async (name: string) => {
    const ns = await deps.namespaces.get(name);
    if (!ns || ns.kind !== 'org') throw new StoreError('not_found', `no organisation "${name}"`);
    return ns;
  };
  const member = async (name: string) => {
    const user = await deps.users.byName(name);
    if (!user) throw new StoreError('not_found', `no user "${name}"`);
    return user;
  };

  router.post('/', async (req, res) => {
    const me = requireUser(res.locals.principal);
    if (!deps.permissions.active(me) || (me.keyScopes && !me.keyScopes.includes('push')))
      throw new StoreError('forbidden', 'creating an organisation needs a session or a push key');
    const { name, displayName } = parseInput(NewOrg, req.body, 'organisation');
    await deps.namespaces.createOrg(name, displayName, me.userId);
    await deps.audit.record({
      actor: me.name,
      action: 'org.created',
      target: name,
      address: addressOf(req),
    });
    res.status(201).json({ name, displayName, kind: 'org' });
  });

  router.get('/:org', async (req, res) => {
    const ns = await org(req.params.org);
    res.json({
      name: ns.name,
      displayName: ns.displayName,
      kind: ns.kind,
      createdAt: new Date(ns.createdAt).toISOString(),
    });
  });

  router.get('/:org/members', async (req, res) => {
    const me = requireUser(res.locals.principal);
    const ns = await org(req.params.org);
    if (!deps.permissions.namespace(me, ns.name, 'read'))
      throw new StoreError('forbidden', 'only members see the members');
    res.json({ members: await deps.namespaces.members(ns.name) });
  });

  // A member's role changes at once; anyone else is invited, and joins by accepting (202).
  router.put('/:org/members/:user', async (req, res) => {
    const me = requireUser(res.locals.principal);
    const ns = await org(req.params.org);
    if (!deps.permissions.namespace(me, ns.name, 'manage-members'))
      throw new StoreError('forbidden', 'only owners manage members');
    const { role } = parseInput(Membership, req.body, 'membership');
    const user = await member(req.params.user);
    const memberRole = role as MemberRole;
    if (!(await deps.namespaces.changeRole(ns.name, user.id, memberRole))) {
      const invitation = await deps.invitations.invite(
        me,
        ns.name,
        user,
        memberRole,
        addressOf(req),
      );
      return void res.status(202).json({ invitation });
    }
    await deps.audit.record({
      actor: me.name,
      action: 'member.set',
      target: `${ns.name}/${user.name}`,
      address: addressOf(req),
      detail: { role },
    });
    res.json({ members: await deps.namespaces.members(ns.name) });
  });

  // Removes a member (or oneself: leaving), else withdraws a pending invitation.
  router.delete('/:org/members/:user', async (req, res) => {
    const me = requireUser(res.locals.principal);
    const ns = await org(req.params.org);
    const user = await member(req.params.user);
    const manages = deps.permissions.namespace(me, ns.name, 'manage-members');
    if (user.id !== me.userId && !manages)
      throw new StoreError('forbidden', 'only owners manage members');
    if (await deps.namespaces.removeMember(ns.name, user.id)) {
      await deps.audit.record({
        actor: me.name,
        action: 'member.removed',
        target: `${ns.name}/${user.name}`,
        address: addressOf(req),
      });
      return void res.status(204).end();
    }
    if (manages && (await deps.invitations.withdraw(me, ns.name, user, addressOf(req))))
      return void res.status(204).end();
    throw new StoreError('not_found', `${user.name} is neither a member nor invited`);
  });

  router.get('/:org/invitations', async (req, res) => {
    const me = requireUser(res.locals.principal);
    const ns = await org(req.params.org);
    if (!deps.permissions.namespace(me, ns.name, 'manage-members'))
      throw new StoreError('forbidden', 'only owners see the pending invitations');
    res.json({ invitations: await deps.invitations.inOrg(ns.name) });
  });
  return router;
}
