/**
 * How a pushed template or bundle becomes a version's columns and components: the rules both
 * engines' repositories apply inside their unit of work (app-sqlite.ts, app-pg.ts).
 */
import type { AppContent } from './bundle-reader.js';
import type { AppRow, ComponentTagChange, VersionRow, VersionUpsert } from './app-repository.js';

/** The version's columns for `input`, keeping what the push does not say from `previous`. */
export function versionFields(input: VersionUpsert, previous: VersionRow | undefined) {
  const { content } = input;
  return {
    state: content.kind === 'bundle' ? ('ready' as const) : ('draft' as const),
    manifestDigest: input.manifestDigest,
    templateDigest: content.templateDigest,
    template: JSON.stringify(content.template),
    description:
      content.annotations['org.opencontainers.image.description'] ?? previous?.description ?? '',
    rainbondVersion:
      stringField(content.template, 'rainbond_version') ?? previous?.rainbondVersion ?? '',
  };
}

/** Rainbond compares update times to the second: every overwrite moves it forward. */
export function overwriteTime(now: number, previous: VersionRow): number {
  return Math.max(Math.floor(now / 1000) * 1000, previous.updatedAt + 1000);
}

export function componentRows(versionId: number, content: AppContent) {
  const names = new Map(
    (content.template.apps ?? []).map((a) => [
      String(a.service_key),
      String(a.service_cname ?? ''),
    ]),
  );
  return content.components.map((c) => ({
    versionId,
    serviceKey: c.serviceKey,
    name: names.get(c.serviceKey) ?? '',
    imageDigest: c.imageDigest,
    sourceRef: c.source,
  }));
}

/** The component tags a bundle sets: each names the component image (Rainbond pulls by tag). */
export function taggedImages(content: AppContent): ComponentTagChange['set'] {
  if (content.kind !== 'bundle') return [];
  return content.components.flatMap((c) =>
    c.imageDigest ? [{ serviceKey: c.serviceKey, imageDigest: c.imageDigest }] : [],
  );
}

/**
 * A publisher who gave no display name (the row still holds the app's name, as first sight
 * leaves it) gets the template's `group_name`, the name Rainbond shows for the app.
 */
export function displayNameFromTemplate(app: AppRow, template: object): { displayName?: string } {
  if (app.displayName !== '' && app.displayName !== app.name) return {};
  const groupName = stringField(template, 'group_name')?.trim();
  return groupName ? { displayName: groupName } : {};
}

function stringField(template: object, key: string): string | undefined {
  const value = (template as Record<string, unknown>)[key];
  return typeof value === 'string' ? value : undefined;
}
