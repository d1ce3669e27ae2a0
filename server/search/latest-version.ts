/**
 * An app's latest version, by the store's version order: semver versions first, highest first;
 * versions that are not semver after them, newest first.
 */
import semver from 'semver';

export interface VersionRow {
  version: string;
  /** Creation order: higher is newer. */
  created: number;
}

export function compareVersions(a: VersionRow, b: VersionRow): number {
  const sa = semver.valid(a.version, { loose: true });
  const sb = semver.valid(b.version, { loose: true });
  if (sa && sb) return semver.rcompare(sa, sb, true) || b.created - a.created;
  if (sa) return -1;
  if (sb) return 1;
  return b.created - a.created;
}

export function latestVersion(rows: readonly VersionRow[]): string | null {
  let best: VersionRow | undefined;
  for (const row of rows) if (!best || compareVersions(row, best) < 0) best = row;
  return best?.version ?? null;
}
