/**
 * Plurals, in one place for the CLI and the web: the noun in the singular for exactly one
 * (`1 visit`, `0 visits`, `2 visits`). Pure text, no I/O, like the rest of `schemas/`.
 */

/** The noun that goes with `n`: `one` for exactly 1, `many` (default `one` + "s") otherwise. */
export function nounFor(n: number, one: string, many = `${one}s`): string {
  return n === 1 ? one : many;
}

/** `n` and its noun; `shown` writes the number (`1.2k` in the web). */
export function plural(
  n: number,
  one: string,
  many = `${one}s`,
  shown: (n: number) => string = String,
): string {
  return `${shown(n)} ${nounFor(n, one, many)}`;
}
