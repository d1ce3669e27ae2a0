/**
 * Fixed-window counters in memory, per key (an address, a phone, a user name). Enough for one
 * process; they reset on restart, which errs on the side of letting a user in after an operator
 * restarts. Several processes share theirs through the database (shared-rate-limit.ts), which
 * keeps one of these as its local view.
 */

/** What a door asks of a limiter, in memory or shared by the processes of a store. */
export interface Limiter {
  take(key: string): boolean;
  count(key: string): number;
  exhausted(key: string): boolean;
  /** Shared: true for one process only, so the refusal is audited once (hence the promise). */
  firstTime(key: string): boolean | Promise<boolean>;
  retryAfter(key: string): number;
}

/** Makes the limiter named `scope` (its counters are apart from every other scope's). */
export type LimiterFactory = (scope: string, limit: number, windowMs: number) => Limiter;
interface Window {
  start: number;
  count: number;
  /** Set once per window by `firstTime` (a refusal reported once, not at every retry). */
  flagged: boolean;
}

export const inMemoryLimiters =
  (clock: () => number): LimiterFactory =>
  (_scope, limit, windowMs) =>
    new RateLimiter(limit, windowMs, clock);

/** Past this many keys, the oldest windows are forgotten: a flood of new keys cannot fill memory. */
const MAX_KEYS = 100_000;

export class RateLimiter implements Limiter {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Counts one event for `key`; false when the key is over its limit in this window. */
  take(key: string): boolean {
    return this.count(key) <= this.limit;
  }

  /** Counts one event for `key` (a failure) and returns the window's count so far. */
  count(key: string): number {
    const now = this.clock();
    let entry = this.current(key, now);
    if (!entry) {
      entry = { start: now, count: 0, flagged: false };
      this.windows.delete(key); // re-inserted last: the map stays in order of window start
      this.windows.set(key, entry);
      if (this.windows.size > 10_000) this.prune(now);
    }
    entry.count += 1;
    return entry.count;
  }

  /** Whether `key` has used up its limit in this window (counts nothing). */
  exhausted(key: string): boolean {
    const entry = this.current(key, this.clock());
    return entry !== undefined && entry.count >= this.limit;
  }

  /** True the first time it is asked for `key` in its window, false after. */
  firstTime(key: string): boolean {
    const entry = this.current(key, this.clock());
    if (!entry || entry.flagged) return false;
    entry.flagged = true;
    return true;
  }

  /**
   * What another process counted for `key` (its window started at `start`): the window is the
   * shared one, and the count never goes down.
   */
  raise(key: string, start: number, count: number): void {
    const now = this.clock();
    if (now - start >= this.windowMs) return;
    const entry = this.current(key, now);
    if (entry) {
      entry.start = start;
      entry.count = Math.max(entry.count, count);
      return;
    }
    this.windows.delete(key);
    this.windows.set(key, { start, count, flagged: false });
    if (this.windows.size > 10_000) this.prune(now);
  }

  /** Seconds until `key` may try again (for Retry-After). */
  retryAfter(key: string): number {
    const entry = this.windows.get(key);
    if (!entry) return 0;
    return Math.max(1, Math.ceil((entry.start + this.windowMs - this.clock()) / 1000));
  }

  private current(key: string, now: number): Window | undefined {
    const entry = this.windows.get(key);
    return entry && now - entry.start < this.windowMs ? entry : undefined;
  }

  private prune(now: number): void {
    for (const [key, entry] of this.windows)
      if (now - entry.start >= this.windowMs) this.windows.delete(key);
    for (const key of this.windows.keys()) {
      if (this.windows.size <= MAX_KEYS) break;
      this.windows.delete(key);
    }
  }
}
