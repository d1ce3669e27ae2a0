/**
 * How the registry asks whether a request may go on. The registry knows nothing of users or
 * apps: the server injects a `RegistryAccess` that reads the credentials and applies its rules.
 */
export type RegistryAction = 'pull' | 'push' | 'delete';

export type AccessScope =
  | { type: 'repository'; name: string; actions: RegistryAction[] }
  | { type: 'registry'; name: 'catalog'; actions: ['*'] };

/** Who made a request, as far as the registry needs to know (for events and logs). */
export interface RegistryActor {
  name: string;
  /** No credentials (or none that name anyone): such a caller opens no upload session. */
  anonymous: boolean;
}

export interface RegistryAccess {
  /**
   * Returns the actor when `authorization` grants `scope` (or, with no scope, is any valid
   * credential: the `/v2/` check). Throws OciError UNAUTHORIZED (with a challenge header) or DENIED.
   * Must be cheap: it runs on every request, so verified credentials should be cached
   * (a cache hit should resolve without crypto or I/O).
   */
  check(
    authorization: string | undefined,
    scope: AccessScope | undefined,
    host: string | undefined,
  ): Promise<RegistryActor>;
  /** Whether the same credentials also grant `scope` (used for mounts: pull on the source). */
  allows(
    authorization: string | undefined,
    scope: AccessScope,
    host: string | undefined,
  ): Promise<boolean>;
}
