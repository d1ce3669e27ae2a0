/**
 * Values that are plain on SQLite and promises on PostgreSQL (docs/decisions/0003, "the /v2 hot
 * path keeps a synchronous fast path on SQLite"): code on the registry's push path chains them
 * with `then`, which calls on at once for a plain value, so SQLite's path gains no microtask.
 */
export type MaybePromise<T> = T | Promise<T>;

/** `next(value)`, at once when `value` is plain, after it settles when it is a promise. */
export function then<T, U>(
  value: MaybePromise<T>,
  next: (value: T) => MaybePromise<U>,
): MaybePromise<U> {
  return value instanceof Promise ? value.then(next) : next(value);
}
