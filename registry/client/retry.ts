/** Exponential backoff for network failures and 429/5xx answers. */
import { ClientError } from './errors.js';

export interface RetryPolicy {
  /** Tries in all, the first included (1: no retry). */
  attempts: number;
  /** Delay before the first retry; doubles each time, with jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 250, maxDelayMs: 8000 };

export function retryPolicy(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  const policy = { ...DEFAULT_RETRY, ...overrides };
  return { ...policy, attempts: Math.max(1, Math.floor(policy.attempts)) };
}

/** Delay before retry number `retry` (0-based); a registry's Retry-After wins, up to the maximum. */
export function backoffDelay(policy: RetryPolicy, retry: number, err?: unknown): number {
  const hinted = err instanceof ClientError ? err.retryAfterMs : undefined;
  if (hinted !== undefined) return Math.min(hinted, policy.maxDelayMs);
  const exp = Math.min(policy.baseDelayMs * 2 ** retry, policy.maxDelayMs);
  return Math.round(exp / 2 + (Math.random() * exp) / 2);
}

export function isRetryable(err: unknown): boolean {
  return err instanceof ClientError && err.retryable;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function abortError(signal?: AbortSignal): ClientError {
  return new ClientError('aborted', 'aborted', { cause: signal?.reason });
}

/**
 * Runs `work` until it succeeds, fails with an error that is not retryable, or runs out of
 * attempts. `onRetry` hears of each failure that will be retried (for logs and progress).
 */
export async function withRetry<T>(
  policy: RetryPolicy,
  work: (attempt: number) => Promise<T>,
  options: {
    signal?: AbortSignal | undefined;
    /** Which failures to retry (default: network failures and 429/5xx). */
    retryIf?: (err: unknown) => boolean;
    onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  } = {},
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await work(attempt);
    } catch (err) {
      if (
        !(options.retryIf ?? isRetryable)(err) ||
        attempt + 1 >= policy.attempts ||
        options.signal?.aborted
      )
        throw err;
      const delay = backoffDelay(policy, attempt, err);
      options.onRetry?.(err, attempt, delay);
      await sleep(delay, options.signal);
    }
  }
}
