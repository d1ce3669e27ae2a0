/**
 * Who calls the Rainstore API: the raw `Authorization: <access key>` header (a `Bearer ` prefix is
 * tolerated). A missing, unknown, revoked or expired key reads as anonymous, so read routes still
 * answer; a route that needs more answers 403, never 401 (only 403 makes the console re-authorize).
 */
import type { Request } from 'express';
import type { AccessKeys } from '../auth/access-keys.js';
import { isRobot, type Permissions } from '../auth/permissions.js';
import { ANONYMOUS, type KeyScope, type Principal } from '../auth/principal.js';
import { addressOf } from '../http/authenticate.js';
import { StoreError } from '../errors.js';

export type AccessAction = 'OnlyRead' | 'ReadInstall' | 'Write';

const ACTION_OF: Record<KeyScope, AccessAction> = {
  read: 'OnlyRead',
  install: 'ReadInstall',
  push: 'Write',
};

export interface RainstoreCaller {
  principal: Principal;
  /** A key was sent but does not work (unknown, revoked, expired, or a robot's). */
  keyRejected: boolean;
  rights: readonly KeyScope[];
  address: string;
}

export function callerOf(
  req: Request,
  deps: { keys: AccessKeys; permissions: Permissions },
): RainstoreCaller {
  const address = addressOf(req);
  const secret = (req.headers.authorization ?? '').replace(/^Bearer\s+/i, '').trim();
  if (!secret)
    return {
      principal: ANONYMOUS,
      keyRejected: false,
      rights: deps.permissions.rights(ANONYMOUS),
      address,
    };
  const found = deps.keys.authenticate(secret);
  if (!found || isRobot(found))
    return { principal: ANONYMOUS, keyRejected: true, rights: [], address };
  return { principal: found, keyRejected: false, rights: deps.permissions.rights(found), address };
}

/** The `accessActions` of /info: cumulative, anonymous (and a dead key) `["OnlyRead"]`. */
export function accessActionsOf(caller: RainstoreCaller): AccessAction[] {
  const rights = caller.rights.length > 0 ? caller.rights : (['read'] as const);
  return rights.map((r) => ACTION_OF[r]);
}

/** Throws 403 unless the caller's key carries `right`. */
export function requireRight(
  caller: RainstoreCaller,
  right: KeyScope,
): Extract<Principal, { kind: 'user' }> {
  if (caller.principal.kind !== 'user' || !caller.rights.includes(right)) {
    const why = caller.keyRejected
      ? 'the access key is unknown, revoked or expired'
      : `this needs an access key with the ${right} scope (${ACTION_OF[right]})`;
    throw new StoreError('forbidden', why);
  }
  return caller.principal;
}
