import type { AccessKeys, NewKey } from '../auth/access-keys.js';
import type { KeyScope } from '../auth/principal.js';
import { StoreError } from '../errors.js';
import type { AuditLog } from './audit-log.js';

export const MAX_KEYS_PER_USER = 100;

/** The key's owner, as a route knows them. */
export interface KeyOwner {
  userId: number;
  name: string;
}

/**
 * What a user does to their own access keys, whichever surface they use (the API, the web pages):
 * the limits, the ownership check and the audit row live here once.
 */
export class OwnKeys {
  constructor(
    private readonly keys: AccessKeys,
    private readonly audit: AuditLog,
    private readonly clock: () => number,
  ) {}

  async create(
    owner: KeyOwner,
    input: { name: string; scopes: KeyScope[]; expiresAt?: number | undefined },
    address: string,
  ): Promise<NewKey> {
    if (input.expiresAt !== undefined && input.expiresAt <= this.clock())
      throw new StoreError('invalid', 'expiresAt must be in the future', { field: 'expiresAt' });
    const created = await this.keys.create(
      owner.userId,
      input.name,
      input.scopes,
      input.expiresAt !== undefined
        ? { expiresAt: input.expiresAt, maxLive: MAX_KEYS_PER_USER }
        : { maxLive: MAX_KEYS_PER_USER },
    );
    await this.audit.record({
      actor: owner.name,
      action: 'key.created',
      target: `key:${created.id}`,
      address,
      detail: { name: input.name, scopes: input.scopes, prefix: created.prefix },
    });
    return created;
  }

  /** Revokes one of the owner's live keys; anyone else's, or an unknown one, is not found. */
  async revoke(owner: KeyOwner, id: number, address: string): Promise<void> {
    const key = Number.isSafeInteger(id) ? await this.keys.get(id) : undefined;
    if (!key || key.revoked || key.userId !== owner.userId)
      throw new StoreError('not_found', 'no such key');
    await this.keys.revoke(id);
    await this.audit.record({
      actor: owner.name,
      action: 'key.revoked',
      target: `key:${id}`,
      address,
      detail: { name: key.name },
    });
  }
}
