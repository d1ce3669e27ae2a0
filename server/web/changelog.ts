/** A version's notes: the publisher's description of it, else the template's `version_info`. */
export function changelogOf(description: string, template: unknown): string {
  // `annotations.version_info` in the template, or a top-level `version_info`.
  const t = template as { version_info?: unknown; annotations?: { version_info?: unknown } } | null;
  const info = t?.annotations?.version_info ?? t?.version_info;
  return description || (typeof info === 'string' ? info : '');
}
