import { StoreError } from '../errors.js';
import type { AuditLog } from './audit-log.js';
import type { UserRow, Users } from './users.js';

export interface UserChange {
  disabled?: boolean | undefined;
  role?: 'admin' | 'user' | undefined;
}

/**
 * An admin disables, re-enables or changes the role of a user (the API and the admin page both
 * come here): never themselves out of the store, and always with an audit row.
 */
export async function changeUser(
  deps: { users: Users; audit: AuditLog },
  actor: { userId: number; name: string },
  name: string,
  change: UserChange,
  address: string,
): Promise<UserRow> {
  const user = await deps.users.byName(name);
  if (!user) throw new StoreError('not_found', `no user "${name}"`);
  if (user.id === actor.userId && (change.disabled || change.role === 'user'))
    throw new StoreError('conflict', 'an admin cannot disable or demote themselves');
  if (change.disabled !== undefined) await deps.users.setDisabled(user.id, change.disabled);
  if (change.role !== undefined) await deps.users.setRole(user.id, change.role);
  await deps.audit.record({
    actor: actor.name,
    action: 'user.admin-changed',
    target: user.name,
    address,
    detail: { ...change },
  });
  return (await deps.users.byId(user.id))!;
}
