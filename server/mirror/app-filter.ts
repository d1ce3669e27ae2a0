/** Which upstream apps and versions a `mirror.upstreams` entry follows: namespace/name globs and a semver range. */
import semver from 'semver';

/** `*` is any run of characters other than `/`, `?` one such character; the rest is literal. */
export function matchesGlob(name: string, glob: string): boolean {
  const pattern = glob
    .split('')
    .map((c) =>
      c === '*' ? '[^/]*' : c === '?' ? '[^/]' : c.replace(/[.+^${}()|[\]\\-]/g, '\\$&'),
    )
    .join('');
  return new RegExp(`^${pattern}$`).test(name);
}

/**
 * Whether `version` is in `range` (absent: every version). A version that is not semver is in
 * no range: a filter means semver versions only.
 */
export function versionWanted(version: string, range: string | undefined): boolean {
  if (range === undefined) return true;
  return (
    semver.valid(version, { loose: true }) !== null &&
    semver.satisfies(version, range, { loose: true })
  );
}
