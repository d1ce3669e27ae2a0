/**
 * U+0000 (NUL) in input: PostgreSQL's text cannot hold it and its jsonb refuses the `\u0000`
 * escape, while SQLite stores it. Every boundary either refuses it (names, identifiers, content
 * kept byte-exact) or drops it (free text), so that both engines store the same thing; these two
 * helpers are the only places that look for it.
 */

const NUL = '\u0000';

/**
 * Where the first U+0000 of a JSON-shaped value is, in document order, as a path like
 * `apps[0].service_cname` (`$` for the value itself); a key holding one is reported at its
 * object. Undefined when there is none.
 */
export function nulPath(value: unknown, path = ''): string | undefined {
  if (typeof value === 'string') return value.includes(NUL) ? path || '$' : undefined;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = nulPath(item, `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  for (const [key, item] of Object.entries(value)) {
    if (key.includes(NUL)) return path || '$';
    const found = nulPath(item, path ? `${path}.${key}` : key);
    if (found) return found;
  }
  return undefined;
}

/** `value` with U+0000 removed from every string in it, keys included (JSON-shaped: arrays, plain objects). */
export function withoutNul(value: unknown): unknown {
  if (typeof value === 'string') return value.replaceAll(NUL, '');
  if (Array.isArray(value)) return value.map(withoutNul);
  if (isPlainObject(value))
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k.replaceAll(NUL, ''), withoutNul(v)]),
    );
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
