/**
 * appshelf's OCI Distribution v1.1 registry. It knows nothing of apps: it serves /v2, reports
 * events, asks an injected RegistryAccess whether a request may go on, and lets its owner guard
 * manifest pushes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Digest } from '../schemas/oci.js';
import type { RegistryAccess } from './access.js';
import type { EventListener, RegistryEvent } from './events.js';
import { GarbageCollector } from './gc/garbage-collector.js';
import { pgSharedTouches } from './gc/shared-touches.js';
import type { RegistryContext } from './http/context.js';
import { createV2Handler } from './http/router.js';
import {
  allowAll,
  allowAllRemovals,
  type ManifestGuard,
  type RemovalGuard,
} from './manifests/manifest-guard.js';
import type { ParsedManifest } from './manifests/parse-manifest.js';
import { removeManifest, removeTag, type Removal } from './manifests/remove-manifest.js';
import { storeManifest, type ManifestPush } from './manifests/store-manifest.js';
import {
  createRegistryMetadata,
  type MaybePromise,
  type RegistryDatabase,
  type RegistryMetadata,
} from './metadata/registry-metadata.js';
import type { RegistryTotals } from './metadata/registry-totals.js';
import { unobserved, type RegistryObserver } from './observer.js';
import type { ProxyConfig } from './proxy/proxy-config.js';
import { PullThrough, type ProxyStats } from './proxy/pull-through.js';
import type { UpstreamFetch } from './proxy/upstream.js';
import type { BlobGuard } from './storage/blob-guard.js';
import { BlobStore } from './storage/blob-store.js';
import type { StorageDriver } from './storage/driver.js';
import type { BlobUploads } from './uploads/blob-uploads.js';
import { MultipartUploadSessions } from './uploads/multipart-upload-sessions.js';
import { UploadSessions } from './uploads/upload-sessions.js';

export interface RegistryOptions {
  /** The store's database (SQLite or PostgreSQL): registry-metadata.ts. */
  database: RegistryDatabase;
  driver: StorageDriver;
  /** Local folder for upload staging files (drivers without multipart uploads). */
  stagingDir: string;
  access: RegistryAccess;
  log: Logger;
  maxManifestBytes: number;
  /** Upload sessions one principal may have open at once; anonymous callers open none. */
  maxOpenUploads: number;
  gc: { graceSeconds: number; uploadTtlSeconds: number };
  clock?: () => number;
  /** Told of every request and GC run, for metrics. */
  observer?: RegistryObserver;
  /** Pull-through caches of upstream registries (`registry.proxies`). */
  proxies?: readonly ProxyConfig[];
  /** The fetch upstream requests of the caches go through (the outbound guard's). */
  proxyFetch?: UpstreamFetch;
}

export interface Registry {
  /** Serves one /v2 request (node:http signature). */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Subscribes to registry events; returns the unsubscribe function. */
  on(listener: EventListener): () => void;
  /** Installs the manifest guard (one owner). */
  setGuard(guard: ManifestGuard): void;
  /** Installs the guard of tag removals (one owner). */
  setRemovalGuard(guard: RemovalGuard): void;
  /** Installs the guard of blobs linked into a repository: uploads, mounts (one owner). */
  setBlobGuard(guard: BlobGuard): void;
  /** Stores a manifest in-process as a PUT on /v2 would (guard, tag, `manifest.pushed`); no access check. */
  putManifest(push: ManifestPush): Promise<ParsedManifest>;
  /** Removes a tag in-process as a DELETE on /v2 would (removal guard, `tag.deleted`); no access check. */
  removeTag(removal: Removal & { tag: string }): Promise<Digest>;
  /** Removes a manifest and its tags in-process as a DELETE by digest on /v2 would. */
  removeManifest(removal: Removal & { digest: Digest }): Promise<void>;
  /** What is stored right now (counted in the database, for metrics). */
  totals(): MaybePromise<RegistryTotals>;
  /** Per pull-through cache: what it holds and its counters. */
  proxyStats(): Promise<ProxyStats[]>;
  /**
   * At shutdown: lets the pull-through fetches under way finish storing, then writes out what
   * the caches keep in memory.
   */
  close(): Promise<void>;
  readonly gc: GarbageCollector;
  readonly meta: RegistryMetadata;
  readonly blobs: BlobStore;
  readonly uploads: BlobUploads;
}

export function createRegistry(options: RegistryOptions): Registry {
  const clock = options.clock ?? Date.now;
  const log = options.log.child({ module: 'registry' });
  const observer = options.observer ?? unobserved;
  const meta = createRegistryMetadata(options.database, clock);
  const blobs = new BlobStore(options.driver, meta, clock);
  // A driver with multipart uploads stages in storage (any process goes on), else local files.
  const { multipart } = options.driver;
  const uploads: BlobUploads = multipart
    ? new MultipartUploadSessions(meta, blobs, options.driver, multipart, options.maxOpenUploads)
    : new UploadSessions(options.stagingDir, meta, blobs, options.maxOpenUploads);
  const listeners = new Set<EventListener>();
  const failed = (err: unknown, event: RegistryEvent): void =>
    log.error({ err, event: event.type }, 'event listener failed');
  /** Tells every listener; a promise when one answered one (it settles once they all have). */
  const emit = (event: RegistryEvent): Promise<void> | undefined => {
    let pending: Promise<unknown>[] | undefined;
    for (const listener of listeners) {
      try {
        const answer = listener(event);
        if (answer instanceof Promise)
          (pending ??= []).push(answer.catch((err: unknown) => failed(err, event)));
      } catch (err) {
        failed(err, event);
      }
    }
    return pending && Promise.all(pending).then(() => undefined);
  };
  const pullThrough = options.proxies?.length
    ? new PullThrough({
        database: options.database,
        meta,
        blobs,
        log: log.child({ module: 'registry.proxy' }),
        clock,
        proxies: options.proxies,
        fetch: options.proxyFetch,
      })
    : undefined;
  const ctx: RegistryContext = {
    meta,
    blobs,
    uploads,
    access: options.access,
    guard: allowAll,
    removalGuard: allowAllRemovals,
    emit,
    log,
    observer,
    maxManifestBytes: options.maxManifestBytes,
    pullThrough,
  };
  const sharedTouches =
    options.database.dialect === 'postgres'
      ? pgSharedTouches({ pool: options.database.pool, blobs, meta, log })
      : undefined;
  const gc = new GarbageCollector({
    meta,
    blobs,
    uploads,
    log: log.child({ module: 'registry.gc' }),
    clock,
    ...(sharedTouches ? { sharedTouches } : {}),
    onFinished: (dryRun, report) => observer.gcFinished(dryRun, report),
    ...options.gc,
  });
  return {
    handle: createV2Handler(ctx),
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    setGuard(guard) {
      ctx.guard = guard;
    },
    setRemovalGuard(guard) {
      ctx.removalGuard = guard;
    },
    setBlobGuard(guard) {
      blobs.guard = guard;
    },
    putManifest: (push) => storeManifest(ctx, push),
    removeTag: (removal) => removeTag(ctx, removal),
    removeManifest: (removal) => removeManifest(ctx, removal),
    totals: () => meta.totals(),
    proxyStats: async () => (pullThrough ? pullThrough.stats() : []),
    close: async () => {
      await pullThrough
        ?.close()
        .catch((err: unknown) => log.warn({ err }, 'pull-through cache not closed'));
      await sharedTouches?.close();
    },
    gc,
    meta,
    blobs,
    uploads,
  };
}

export { OciError, ociErrorCatalog, type OciErrorCode } from './errors.js';
export type { AccessScope, RegistryAccess, RegistryAction, RegistryActor } from './access.js';
export type { RegistryEvent } from './events.js';
export type { GcReport } from './gc/garbage-collector.js';
export type { RegistryTotals } from './metadata/registry-totals.js';
export type { RegistryObserver, V2Family } from './observer.js';
export type { ProxyConfig } from './proxy/proxy-config.js';
export type { ProxyStats } from './proxy/pull-through.js';
export type { ManifestGuard, RemovalGuard } from './manifests/manifest-guard.js';
export type { BlobGuard } from './storage/blob-guard.js';
export type { ParsedManifest } from './manifests/parse-manifest.js';
export type { ManifestPush } from './manifests/store-manifest.js';
export type { Removal } from './manifests/remove-manifest.js';
export { createFsDriver } from './storage/fs-driver.js';
export type { S3DriverOptions } from './storage/s3/s3-driver.js';
/** The S3 driver's module, loaded only by a store that uses it: the AWS SDK costs ~22 MB of RSS. */
export const loadS3Driver = (): Promise<typeof import('./storage/s3/s3-driver.js')> =>
  import('./storage/s3/s3-driver.js');
export type { ObjectInfo, StorageDriver } from './storage/driver.js';
export { digestOfKey } from './storage/keys.js';
export { stagingDirOf };

function stagingDirOf(data: string): string {
  return join(data, 'uploads');
}
