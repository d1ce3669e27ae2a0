/**
 * One piece of work per key at a time: callers asking for a key already in flight share its
 * promise (twenty concurrent pulls of one uncached blob make one upstream request).
 */
export class Coalescer<T> {
  private readonly inFlight = new Map<string, Promise<T>>();

  /** The running work for `key`, or `start()`'s, which later callers then share. */
  run(key: string, start: () => Promise<T>): { promise: Promise<T>; leader: boolean } {
    const running = this.inFlight.get(key);
    if (running) return { promise: running, leader: false };
    const promise = start().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, promise);
    return { promise, leader: true };
  }

  has(key: string): boolean {
    return this.inFlight.has(key);
  }

  /** Resolves once the work in flight now has ended, whether it succeeded or not. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.inFlight.values()]);
  }
}
