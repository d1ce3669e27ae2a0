/**
 * Shell-style globs over names without separators (tags): `*` any run of characters, `?` one.
 * Compiled once per pattern: the rules are read on every tag change.
 */
const compiled = new Map<string, (name: string) => boolean>();

export function globMatcher(pattern: string): (name: string) => boolean {
  let match = compiled.get(pattern);
  if (!match) {
    const source = pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\-]/g, '\\$&')))
      .join('');
    const re = new RegExp(`^${source}$`);
    match = (name) => re.test(name);
    if (compiled.size > 1024) compiled.clear();
    compiled.set(pattern, match);
  }
  return match;
}
