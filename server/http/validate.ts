import { z } from 'zod';
import { StoreError } from '../errors.js';

/**
 * Parses a request part with `schema`, or throws the documented 400 naming what is wrong. Its
 * strings lose any U+0000 first: PostgreSQL's text cannot hold one (the write would fail, a 500)
 * while SQLite's can, so both engines store the same text only if no NUL reaches either. XML and
 * HTML cannot show it anyway.
 */
export function parseInput<T extends z.ZodType>(
  schema: T,
  value: unknown,
  what = 'request',
): z.infer<T> {
  const result = schema.safeParse(withoutNul(value ?? {}));
  if (!result.success) {
    throw new StoreError('invalid', `invalid ${what}: ${z.prettifyError(result.error)}`, {
      issues: result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    });
  }
  return result.data;
}

/** `value` with U+0000 removed from every string in it (JSON-shaped input: arrays, plain objects). */
function withoutNul(value: unknown): unknown {
  if (typeof value === 'string') return value.replaceAll('\u0000', '');
  if (Array.isArray(value)) return value.map(withoutNul);
  if (isPlainObject(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutNul(v)]));
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
