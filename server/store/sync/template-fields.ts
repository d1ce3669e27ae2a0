/** What image sync reads from a version's stored template JSON: the order of its components. */

/** service_key → position in the template's `apps`. */
export function templateOrder(template: string): Map<string, number> {
  const apps = parseTemplate(template)?.apps;
  return new Map(
    (Array.isArray(apps) ? apps : []).map((a: { service_key?: unknown }, i) => [
      String(a.service_key),
      i,
    ]),
  );
}

function parseTemplate(template: string): { apps?: unknown } | undefined {
  try {
    return JSON.parse(template) as { apps?: unknown };
  } catch {
    return undefined;
  }
}
