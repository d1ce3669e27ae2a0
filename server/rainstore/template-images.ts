/**
 * The image fields of a RAM template that Rainstore rewrites: component `share_image`/`image`
 * with `service_image`, plugin `share_image` with `plugin_image` (rainstore-api.md §5).
 */
import type { Json } from '../../schemas/ram.js';
import type { RegistryCredentials } from './robots.js';

type JsonObject = { [key: string]: Json };

export interface ImageSlot {
  /** JSON path of the image field, for error messages. */
  path: string;
  ref: string;
  /** The object holding it (a component or a plugin). */
  owner: JsonObject;
  kind: 'component' | 'plugin';
}

export function objectsAt(template: JsonObject, key: 'apps' | 'plugins'): JsonObject[] {
  const list = template[key];
  return Array.isArray(list)
    ? list.filter((x): x is JsonObject => typeof x === 'object' && x !== null && !Array.isArray(x))
    : [];
}

/** Every component and plugin image the template names. */
export function imageSlots(template: JsonObject): ImageSlot[] {
  const slots: ImageSlot[] = [];
  objectsAt(template, 'apps').forEach((part, i) => {
    const field =
      typeof part.share_image === 'string' && part.share_image !== '' ? 'share_image' : 'image';
    if (typeof part[field] === 'string' && part[field] !== '')
      slots.push({ path: `apps[${i}].${field}`, ref: part[field], owner: part, kind: 'component' });
  });
  objectsAt(template, 'plugins').forEach((plugin, i) => {
    if (typeof plugin.share_image === 'string' && plugin.share_image !== '') {
      slots.push({
        path: `plugins[${i}].share_image`,
        ref: plugin.share_image,
        owner: plugin,
        kind: 'plugin',
      });
    }
  });
  return slots;
}

/** `host[:port]` of a `hub_url` as Rainbond writes it (with or without scheme and path). */
export function hubHost(value: Json | undefined): string {
  return typeof value === 'string'
    ? value
        .trim()
        .replace(/^[a-z]+:\/\//i, '')
        .replace(/\/.*$/, '')
        .toLowerCase()
    : '';
}

/** The credentials object of a slot: `service_image` of a component, `plugin_image` of a plugin. */
export function credentialsOf(slot: Pick<ImageSlot, 'owner' | 'kind'>): JsonObject | undefined {
  const value = slot.owner[slot.kind === 'component' ? 'service_image' : 'plugin_image'];
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : undefined;
}

/** Points the slot's credentials at this store with `credentials` (blank user and password for none). */
export function setCredentials(
  slot: Pick<ImageSlot, 'owner' | 'kind'>,
  hub: string,
  namespace: string,
  credentials: RegistryCredentials | null,
): void {
  const key = slot.kind === 'component' ? 'service_image' : 'plugin_image';
  slot.owner[key] = {
    ...credentialsOf(slot),
    hub_url: hub,
    namespace,
    hub_user: credentials?.user ?? '',
    hub_password: credentials?.password ?? '',
    is_trust: false,
  };
}
