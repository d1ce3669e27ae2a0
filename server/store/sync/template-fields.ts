/** What image sync reads from a version's stored template JSON: component order and `service_image`. */
import type { ServiceImage } from './image-ref.js';

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

export function serviceImageOf(template: string, serviceKey: string): ServiceImage | undefined {
  const apps = parseTemplate(template)?.apps;
  if (!Array.isArray(apps)) return undefined;
  const app = (apps as { service_key?: unknown; service_image?: unknown }[]).find(
    (a) => String(a.service_key) === serviceKey,
  );
  return app && typeof app.service_image === 'object' && app.service_image !== null
    ? (app.service_image as ServiceImage)
    : undefined;
}

function parseTemplate(template: string): { apps?: unknown } | undefined {
  try {
    return JSON.parse(template) as { apps?: unknown };
  } catch {
    return undefined;
  }
}
