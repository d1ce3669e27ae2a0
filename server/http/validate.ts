import { z } from 'zod';
import { StoreError } from '../errors.js';

/** Parses a request part with `schema`, or throws the documented 400 naming what is wrong. */
export function parseInput<T extends z.ZodType>(
  schema: T,
  value: unknown,
  what = 'request',
): z.infer<T> {
  const result = schema.safeParse(value ?? {});
  if (!result.success) {
    throw new StoreError('invalid', `invalid ${what}: ${z.prettifyError(result.error)}`, {
      issues: result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    });
  }
  return result.data;
}
