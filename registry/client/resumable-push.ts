/**
 * A blob push that survives interruptions: on a network failure or a 429/5xx it asks the
 * registry how far the upload got and sends only the rest (re-opening the content at that
 * offset), instead of starting over.
 */
import type { Readable } from 'node:stream';
import type { Descriptor } from '../../schemas/oci.js';
import type { CallOptions, PushOptions, ResumablePusher, UploadSession } from './content.js';
import { ClientError, isClientError } from './errors.js';
import { isRetryable, withRetry, type RetryPolicy } from './retry.js';

/** Opens the blob's content from byte `offset` on. */
export type OpenContent = (offset: number, options: CallOptions) => Promise<Buffer | Readable>;

export interface ResumableTarget extends ResumablePusher {
  exists(target: Descriptor, options?: CallOptions): Promise<boolean>;
}

export interface ResumablePushOptions extends PushOptions {
  retry: RetryPolicy;
  /** An upload already open for this blob (from a mount that fell back, or a saved session). */
  session?: UploadSession | undefined;
  /** Hears of each failure that will be retried. */
  onRetry?: (err: unknown, attempt: number) => void;
}

/** Failures after which asking for the upload's status and going on can help. */
function resumable(err: unknown): boolean {
  return isRetryable(err) || (err instanceof ClientError && err.status === 416);
}

export async function pushResumable(
  target: ResumableTarget,
  expected: Descriptor,
  open: OpenContent,
  options: ResumablePushOptions,
): Promise<void> {
  const { signal } = options;
  const call = signal ? { signal } : {};
  let session = options.session;
  let resuming = false;

  const attempt = async (): Promise<void> => {
    if (session && resuming) {
      try {
        session = await target.uploadStatus(session, call);
      } catch (err) {
        if (!isClientError(err, 'not_found')) throw err;
        // The session is gone: either our last PUT landed (the blob is there) or it expired.
        if (await target.exists(expected, call)) return;
        session = undefined;
      }
    }
    session ??= await target.startUpload(call);
    resuming = true;
    const content = await open(session.offset, call);
    await target.writeUpload(session, expected, content, {
      ...call,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    session = undefined; // complete: nothing left to resume or abort
  };

  try {
    await withRetry(options.retry, attempt, {
      signal,
      retryIf: resumable,
      onRetry: (err, n) => options.onRetry?.(err, n),
    });
  } catch (err) {
    // Not worth going on with: free the registry's session (best effort).
    if (session) await target.abortUpload(session).catch(() => undefined);
    throw err;
  }
}
