/**
 * One blob from a source store to a target store: skip it when the target has it, mount it when
 * the target registry holds it in another repository, else stream it across (resuming a broken
 * upload where the target supports that, retrying the whole transfer where it does not).
 */
import type { Descriptor } from '../../schemas/oci.js';
import {
  canMount,
  canResume,
  type CopySource,
  type CopyTarget,
  type UploadSession,
} from './content.js';
import { pushResumable } from './resumable-push.js';
import { withRetry, type RetryPolicy } from './retry.js';

export type BlobOutcome = 'copied' | 'skipped' | 'mounted';

export interface CopyBlobOptions {
  /** Repositories of the target registry that may hold the blob (tried in order). */
  mountFrom: readonly string[];
  retry: RetryPolicy;
  signal?: AbortSignal | undefined;
  /** Bytes of this blob the target holds so far. */
  onProgress?: (bytesDone: number) => void;
  onRetry?: (err: unknown) => void;
}

/** Layers that must not be copied (Docker foreign / OCI non-distributable layers with URLs). */
export function isNonDistributable(desc: Descriptor): boolean {
  return (desc.urls?.length ?? 0) > 0 && /foreign|nondistributable/.test(desc.mediaType);
}

export async function copyBlob(
  source: CopySource,
  target: CopyTarget,
  desc: Descriptor,
  options: CopyBlobOptions,
): Promise<BlobOutcome> {
  const { signal, retry } = options;
  const call = signal ? { signal } : {};
  if (await target.exists(desc, call)) return 'skipped';

  let session: UploadSession | undefined;
  if (canMount(target)) {
    for (const from of options.mountFrom) {
      const result = await target.mount(desc, from, call);
      if (result.mounted) return 'mounted';
      if (session && canResume(target)) await target.abortUpload(session).catch(() => undefined);
      session = result.session; // the registry's fallback: an ordinary upload session
    }
  }

  if (canResume(target)) {
    await pushResumable(target, desc, (offset, opts) => source.fetch(desc, { ...opts, offset }), {
      retry,
      session,
      ...call,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.onRetry ? { onRetry: options.onRetry } : {}),
    });
    return 'copied';
  }

  await withRetry(
    retry,
    async () => {
      const content = await source.fetch(desc, call);
      await target.push(desc, content, {
        ...call,
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      });
    },
    { signal, onRetry: (err) => options.onRetry?.(err) },
  );
  return 'copied';
}
