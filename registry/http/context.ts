import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { RegistryAccess, RegistryActor } from '../access.js';
import type { RegistryEvent } from '../events.js';
import type { RegistryMetadata } from '../metadata/registry-metadata.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { BlobUploads } from '../uploads/blob-uploads.js';
import type { ManifestGuard, RemovalGuard } from '../manifests/manifest-guard.js';
import type { RegistryObserver } from '../observer.js';
import type { PullThrough } from '../proxy/pull-through.js';

/** What every handler may use: built once by createRegistry. */
export interface RegistryContext {
  meta: RegistryMetadata;
  blobs: BlobStore;
  uploads: BlobUploads;
  access: RegistryAccess;
  guard: ManifestGuard;
  removalGuard: RemovalGuard;
  /** A promise when a listener is still writing (events.ts). */
  emit(event: RegistryEvent): Promise<void> | undefined;
  log: Logger;
  observer: RegistryObserver;
  maxManifestBytes: number;
  /** The pull-through caches; undefined when none is configured (then nothing is asked). */
  pullThrough: PullThrough | undefined;
}

/** One parsed /v2 request: the route's parameters, already authorized. */
export interface Call {
  req: IncomingMessage;
  res: ServerResponse;
  query: URLSearchParams;
  repository: string;
  /** The path segment after manifests/, blobs/, uploads/ or referrers/. */
  param: string;
  actor: RegistryActor;
}
