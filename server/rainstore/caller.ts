/**
 * Who calls the Rainstore API: the raw `Authorization: <access key>` header (a `Bearer ` prefix is
 * tolerated). A missing, unknown, revoked or expired key reads as anonymous, so read routes still
 * answer; a route that needs more answers 403, never 401 (only 403 makes the console re-authorize).
 * A key that does not work is still a failed credential: it counts against the address (and the
 * user whose key prefix it carries) like a wrong key at the store API, and past the limit every
 * call that sends a key is refused with 429 until the window ends.
 */
import type { Request } from 'express';
import type { Attempt, FailedCredentials } from '../accounts/failed-credentials.js';
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

export async function callerOf(
  req: Request,
  deps: { keys: AccessKeys; permissions: Permissions; failures: FailedCredentials },
): Promise<RainstoreCaller> {
  const address = addressOf(req);
  const secret = (req.headers.authorization ?? '').replace(/^Bearer\s+/i, '').trim();
  if (!secret)
    return {
      principal: ANONYMOUS,
      keyRejected: false,
      rights: await deps.permissions.rights(ANONYMOUS),
      address,
    };
  refuseIfLimited(deps.failures, { door: 'rainstore', address });
  const found = await deps.keys.authenticate(secret);
  if (!found || isRobot(found)) {
    // A wrong key that starts like a user's key is a guess at that user's key.
    const name = await deps.keys.ownerOf(secret);
    deps.failures.failed(
      { door: 'rainstore', address, name },
      'unknown, revoked or expired access key',
    );
    return { principal: ANONYMOUS, keyRejected: true, rights: [], address };
  }
  if (found.kind === 'user')
    refuseIfLimited(deps.failures, { door: 'rainstore', address, name: found.name });
  return {
    principal: found,
    keyRejected: false,
    rights: await deps.permissions.rights(found),
    address,
  };
}

function refuseIfLimited(failures: FailedCredentials, attempt: Attempt): void {
  const refused = failures.refusal(attempt);
  if (refused)
    throw new StoreError(
      'rate_limited',
      `too many failed access keys ${refused.by === 'name' ? 'for this user' : 'from this address'}; try again later`,
      { retryAfterSeconds: refused.retryAfterSeconds },
    );
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
