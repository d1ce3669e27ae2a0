/**
 * Copies one component image (every platform) from its source registry into the app's
 * repository: pins the source digest on first resolve, so a retry or a restart copies the same
 * image even if the tag moved, and tries again with back-off when the source is unreachable or
 * overloaded. Blobs the repository already has are skipped, blobs another repository of the
 * namespace holds are mounted, and a broken blob transfer resumes (registry/client does that).
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Digest } from '../../../schemas/oci.js';
import type { ComponentSync } from '../../../schemas/sync.js';
import {
  copyImage,
  isClientError,
  isDigest,
  type CopySource,
  type CopyTarget,
  type RepositoryProvider,
  type RetryPolicy,
} from '../../../registry/client/index.js';
import { parseImageRef } from './image-ref.js';

export interface CopyComponentOptions {
  /** The source registry (componentSource chooses it). */
  source: RepositoryProvider<CopySource>;
  target: RepositoryProvider<CopyTarget>;
  /** The app's repository. */
  repository: string;
  /** Repositories of the store the blobs may be mounted from. */
  mountFrom: readonly string[];
  /** Back-off for requests and blob transfers. */
  retry: Partial<RetryPolicy>;
  /** Tries of the whole component, on failures worth another try. */
  attempts: number;
  /** Blob transfers at a time. */
  concurrency: number;
  signal: AbortSignal;
  onPinned(digest: Digest): void;
  onProgress(bytesDone: number, bytesTotal: number): void;
}

export async function copyComponent(
  component: ComponentSync,
  options: CopyComponentOptions,
): Promise<ComponentSync> {
  const source = parseImageRef(component.source);
  const client = options.source;
  const { signal } = options;
  let digest = component.digest ?? (isDigest(source.reference) ? source.reference : undefined);
  let totals = { bytesDone: 0, bytes: 0 };
  for (let attempt = 1; ; attempt++) {
    try {
      if (digest === undefined) {
        const resolved = await client.repository(source.repository).resolve(source.reference, {
          signal,
        });
        digest = resolved.digest;
        options.onPinned(digest);
      }
      const result = await copyImage({
        from: { client, repository: source.repository, reference: digest },
        to: { client: options.target, repository: options.repository },
        mountFrom: options.mountFrom,
        concurrency: options.concurrency,
        retry: options.retry,
        signal,
        onProgress: (event) => {
          totals = event.totals;
          options.onProgress(event.totals.bytesDone, event.totals.bytes);
        },
      });
      const { stats, descriptor } = result;
      const { error: _cleared, ...rest } = component;
      return {
        ...rest,
        state: 'done',
        digest: descriptor.digest,
        mediaType: descriptor.mediaType,
        size: descriptor.size,
        bytesDone: totals.bytes,
        bytesTotal: totals.bytes,
        blobs: {
          copied: stats.blobsCopied,
          mounted: stats.blobsMounted,
          skipped: stats.blobsSkipped,
        },
      };
    } catch (err) {
      const worthAnotherTry = isClientError(err) && err.retryable;
      if (!worthAnotherTry || attempt >= options.attempts || signal.aborted) throw err;
      const base = options.retry.baseDelayMs ?? 500;
      await delay(Math.min(base * 2 ** attempt, options.retry.maxDelayMs ?? 30_000), undefined, {
        signal,
      });
    }
  }
}
