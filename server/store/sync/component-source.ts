/**
 * Where a component's image is copied from. An image on this store is read in-process, from the
 * same registry the copy writes to (so its blobs are mounted, not copied), and only when the
 * publisher may pull it. Any other goes to its source registry through the guarded fetch, the
 * one way the store reaches out for a user: every hop is checked by the outbound policy.
 */
import type { Permissions } from '../../auth/permissions.js';
import type { Principal } from '../../auth/principal.js';
import {
  RegistryClient,
  type CopySource,
  type Credentials,
  type RepositoryProvider,
  type RetryPolicy,
} from '../../../registry/client/index.js';
import type { ImageRef } from './image-ref.js';
import type { LocalRegistry } from './local-target.js';
import { SyncError } from './sync-failure.js';

export interface SourceContext {
  /** The store's own registry, as the copy's target. */
  local: LocalRegistry;
  /** Whether the reference names this store. */
  own: boolean;
  /** Who publishes; absent after a restart (a retry gives it again). */
  publisher: Principal | undefined;
  permissions: Permissions;
  credentials: Credentials | undefined;
  retry: Partial<RetryPolicy>;
  outbound: typeof fetch;
}

export async function componentSource(
  ref: ImageRef,
  ctx: SourceContext,
): Promise<RepositoryProvider<CopySource>> {
  if (!ctx.own)
    return new RegistryClient({
      host: ref.host,
      credentials: ctx.credentials,
      retry: ctx.retry,
      fetch: ctx.outbound,
      userAgent: 'appshelf-sync/0.1',
    });
  if (!ctx.publisher)
    throw new SyncError(
      'unauthorized',
      `${ref.host}/${ref.repository} is on this store: retry the publish to say who may read it`,
    );
  if (!(await ctx.permissions.repository(ctx.publisher, ref.repository, 'pull')))
    throw new SyncError('not_found', `no image ${ref.repository} on this store for the publisher`);
  return ctx.local;
}
