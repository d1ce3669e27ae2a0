/**
 * Fixed-window counters in memory, per key (an address, a phone). Enough for one process; they
 * reset on restart, which errs on the side of letting a user in after an operator restarts.
 */
export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Counts one event for `key`; false when the key is over its limit in this window. */
  take(key: string): boolean {
    const now = this.clock();
    let entry = this.windows.get(key);
    if (!entry || now - entry.start >= this.windowMs) {
      entry = { start: now, count: 0 };
      this.windows.set(key, entry);
      if (this.windows.size > 10_000) this.prune(now);
    }
    entry.count += 1;
    return entry.count <= this.limit;
  }

  /** Seconds until `key` may try again (for Retry-After). */
  retryAfter(key: string): number {
    const entry = this.windows.get(key);
    if (!entry) return 0;
    return Math.max(1, Math.ceil((entry.start + this.windowMs - this.clock()) / 1000));
  }

  private prune(now: number): void {
    for (const [key, entry] of this.windows)
      if (now - entry.start >= this.windowMs) this.windows.delete(key);
  }
}
