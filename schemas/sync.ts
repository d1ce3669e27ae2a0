/**
 * Image sync (ARCHITECTURE.md §3 way in 2, §8): publishing a draft version copies each component
 * image from its source registry into the app's repository, then writes the bundle. The request
 * bodies of the sync API and the job as the API shows it (and as `sync_jobs.components` stores it).
 */
import { z } from 'zod';
import { Digest } from './oci.js';

/** Credentials for one source registry, given with a publish or a retry. Never stored on disk. */
export const RegistryCredential = z.strictObject({
  /** `host[:port]` as the image reference names it (`docker.io` for Docker Hub). */
  registry: z.string().trim().min(1).max(255),
  username: z.string().max(256),
  password: z.string().max(4096),
});
export type RegistryCredential = z.infer<typeof RegistryCredential>;

export const PublishRequest = z.strictObject({
  credentials: z.array(RegistryCredential).max(32).optional(),
});
export type PublishRequest = z.infer<typeof PublishRequest>;

export const SyncRetryRequest = z.strictObject({
  /** A component's service_key: retry just that one (default: every failed component). */
  component: z.string().min(1).max(64).optional(),
  credentials: z.array(RegistryCredential).max(32).optional(),
});
export type SyncRetryRequest = z.infer<typeof SyncRetryRequest>;

export const SyncJobState = z.enum(['pending', 'copying', 'done', 'failed']);
export type SyncJobState = z.infer<typeof SyncJobState>;

/** Why a component (or the bundle write) failed: a stable code and a message for people. */
export const SyncFailure = z.looseObject({ code: z.string(), message: z.string() });
export type SyncFailure = z.infer<typeof SyncFailure>;

/** One component of a sync job, as stored in `sync_jobs.components` (a JSON array of these). */
export const ComponentSync = z.looseObject({
  serviceKey: z.string(),
  source: z.string(),
  state: SyncJobState,
  /** The source image's manifest digest, pinned when first resolved (a retry copies the same image). */
  digest: Digest.optional(),
  mediaType: z.string().optional(),
  size: z.number().int().nonnegative().optional(),
  error: SyncFailure.optional(),
  bytesDone: z.number().nonnegative(),
  bytesTotal: z.number().nonnegative(),
  /** Blobs copied, mounted from another repository of the store, or already there. */
  blobs: z.looseObject({ copied: z.number(), mounted: z.number(), skipped: z.number() }).optional(),
});
export type ComponentSync = z.infer<typeof ComponentSync>;

/** GET .../versions/{v}/sync */
export interface SyncJobView {
  id: number;
  version: string;
  state: SyncJobState;
  /** Components copied so far, of all (`copying 1/2`). */
  progress: { done: number; total: number };
  error: SyncFailure | null;
  components: ComponentSync[];
  createdAt: string;
  updatedAt: string;
}
