/**
 * Runs synchronous work now and hands its result or error as a settled promise: how a SQLite
 * repository keeps better-sqlite3's synchronous statements (and their atomicity) behind an
 * async interface (docs/decisions/0003). The work is done when the call returns, not a
 * microtask later.
 */
export function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (err) {
    return Promise.reject(err as Error);
  }
}
