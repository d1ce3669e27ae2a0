import { z } from 'zod';
import { withoutNul } from '../../schemas/nul.js';
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
