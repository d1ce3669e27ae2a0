/**
 * Composing answers that are values on SQLite and promises on PostgreSQL (access-directory.ts):
 * each step runs at once on a value, so SQLite's decisions stay synchronous and the registry's
 * request path gains no microtask; only a promise is waited for.
 */
import type { MaybePromise } from './access-directory.js';

/** `next` of `value`, at once when `value` is no promise (SQLite's answers add no microtask). */
export function then<T, R>(
  value: MaybePromise<T>,
  next: (value: T) => MaybePromise<R>,
): MaybePromise<R> {
  return value instanceof Promise ? value.then(next) : next(value);
}

/** `first && rest()`, where either may be a promise; `rest` is asked only when `first` holds. */
export function and(
  first: MaybePromise<boolean>,
  rest: () => MaybePromise<boolean>,
): MaybePromise<boolean> {
  return then(first, (holds) => holds && rest());
}

/** `first || rest()`, where either may be a promise; `rest` is asked only when `first` fails. */
export function or(
  first: MaybePromise<boolean>,
  rest: () => MaybePromise<boolean>,
): MaybePromise<boolean> {
  return then(first, (holds) => holds || rest());
}

/** Whether `test` holds for every item, asked in order and stopping at the first that fails. */
export function every<T>(
  items: readonly T[],
  test: (item: T) => MaybePromise<boolean>,
  from = 0,
): MaybePromise<boolean> {
  for (let i = from; i < items.length; i++) {
    const holds = test(items[i]!);
    if (holds instanceof Promise) return holds.then((ok) => ok && every(items, test, i + 1));
    if (!holds) return false;
  }
  return true;
}
