/**
 * Registry credentials a RAM template names for its images: `hub_user`/`hub_password` of a
 * component's `service_image` and of a plugin's `plugin_image`. They are a publisher's secret for
 * the registry the images come from: the store uses them for the image sync and stores and serves
 * them nowhere (docs/security.md). Rainbond reads both keys, so a cleaned template keeps them, blank.
 */

export interface SourceCredential {
  /** JSON path of the object holding them: `apps[0].service_image`, `plugins[1].plugin_image`. */
  path: string;
  kind: 'component' | 'plugin';
  /** The component's service_key, or the plugin's plugin_key. */
  key: string;
  /** `hub_url` beside them: the registry they are for ('' when the template names none). */
  hubUrl: string;
  user: string;
  password: string;
}

interface Holder {
  owner: Record<string, unknown>;
  path: string;
  kind: SourceCredential['kind'];
  key: string;
  /** service_cname or plugin_alias, for messages ('' when there is none). */
  name: string;
}

const SLOTS = [
  {
    list: 'apps',
    field: 'service_image',
    kind: 'component',
    key: 'service_key',
    name: 'service_cname',
  },
  {
    list: 'plugins',
    field: 'plugin_image',
    kind: 'plugin',
    key: 'plugin_key',
    name: 'plugin_alias',
  },
] as const;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const text = (value: unknown): string =>
  typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';

function* holders(template: unknown): Generator<Holder> {
  if (!isObject(template)) return;
  for (const slot of SLOTS) {
    const list = template[slot.list];
    if (!Array.isArray(list)) continue;
    for (const [i, item] of list.entries()) {
      if (!isObject(item) || !isObject(item[slot.field])) continue;
      yield {
        owner: item[slot.field] as Record<string, unknown>,
        path: `${slot.list}[${i}].${slot.field}`,
        kind: slot.kind,
        key: text(item[slot.key]),
        name: text(item[slot.name]),
      };
    }
  }
}

/** Every credentials object of the template with a user or a password in it. */
export function sourceCredentials(template: unknown): SourceCredential[] {
  const found: SourceCredential[] = [];
  for (const { owner, path, kind, key } of holders(template)) {
    const user = text(owner.hub_user);
    const password = text(owner.hub_password);
    if (user === '' && password === '') continue;
    found.push({ path, kind, key, hubUrl: text(owner.hub_url), user, password });
  }
  return found;
}

/** A copy of the template with every `hub_user` and `hub_password` it has set to ''. */
export function withoutSourceCredentials<T>(template: T): T {
  const copy = structuredClone(template);
  for (const { owner } of holders(copy)) {
    if ('hub_user' in owner) owner.hub_user = '';
    if ('hub_password' in owner) owner.hub_password = '';
  }
  return copy;
}

/**
 * Why a template pushed as it is must be refused: the first credentials object with a password,
 * as a path, the component (or plugin) it belongs to and a reason that says what to do instead.
 */
export function storedPasswordProblem(
  template: unknown,
): { path: string; component: string; reason: string } | undefined {
  for (const { owner, path, kind, key, name } of holders(template)) {
    if (text(owner.hub_password) === '') continue;
    const who = `${kind} ${name ? `"${name}" (${key})` : key}`;
    return {
      path: `${path}.hub_password`,
      component: key,
      reason:
        `${who} carries a registry password, and the store keeps no source registry ` +
        'credentials: blank hub_user and hub_password, and give them with the publish request',
    };
  }
  return undefined;
}
