/**
 * The Rainbond Application Model (RAM) template: what the store accepts, rejects and normalises.
 *
 * Rules R1–R16 mirror what Rainbond's console and rainbond-oam index or decode on install (see the
 * RAM sample README): a template the store accepts must install without the console crashing or
 * silently dropping a link. The first broken rule in document order is reported as a JSON path and
 * a reason, e.g. `apps[1].service_key: required`.
 *
 * Written as a walker rather than a zod schema on purpose: the reasons are a public contract, the
 * cross-references (R7, R8) need the whole document, and unknown fields must pass through untouched
 * so that a pulled template is the one that was pushed.
 */

import { z } from 'zod';
import { nulPath } from './nul.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** A validated, normalised template. Unknown fields are kept as they were. */
export interface RamTemplate extends JsonObject {
  group_key: string;
  group_name: string;
  group_version: string;
  apps: RamComponent[];
}

export interface RamComponent extends JsonObject {
  service_id: string;
  service_key: string;
  service_cname: string;
  extend_method: string;
}

export type RamValidation =
  | { ok: true; template: RamTemplate; warnings: string[] }
  | { ok: false; path: string; reason: string };

export const EXTEND_METHODS = new Set([
  'stateless_multiple',
  'stateless_singleton',
  'state_multiple',
  'state_singleton',
  'job',
  'cronjob',
  'daemonset',
  'vm',
  'kubeblocks_component',
  'state',
  'stateless',
]);

const PROBE_MODES = new Set(['readiness', 'liveness', 'ignore']);
const PORT_PROTOCOLS = new Set(['http', 'tcp', 'udp']);
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const DOTTED_VERSION = /^\d+(\.\d+)*$/;
/** The console's SENSITIVE_ENV_NAMES: installable, but the platform overrides them. */
const RESERVED_ENV_NAMES = new Set([
  'TENANT_ID',
  'SERVICE_ID',
  'TENANT_NAME',
  'SERVICE_NAME',
  'SERVICE_VERSION',
  'MEMORY_SIZE',
  'SERVICE_EXTEND_METHOD',
  'SLUG_URL',
  'DEPEND_SERVICE',
  'REVERSE_DEPEND_SERVICE',
  'POD_ORDER',
  'PATH',
  'PORT',
  'POD_NET_IP',
  'LOG_MATCHING',
]);

/** Lists the console itself writes as null; they are read as empty. */
const NULLABLE_COMPONENT_LISTS = [
  'port_map_list',
  'service_env_map_list',
  'service_connect_info_map_list',
  'service_volume_map_list',
  'mnt_relation_list',
  'dep_service_map_list',
  'probes',
  'service_related_plugin_config',
  'component_monitors',
  'component_graphs',
  'component_k8s_attributes',
];
const NULLABLE_TOP_LISTS = [
  'apps',
  'plugins',
  'app_config_groups',
  'ingress_http_routes',
  'ingress_stream_routes',
  'k8s_resources',
];

/** R9: fields that are numbers or booleans in rainbond-oam's Go structs. */
const COMPONENT_NUMBERS = ['memory', 'cpu'];
const EXTEND_METHOD_MAP_NUMBERS = [
  'min_node',
  'max_node',
  'step_node',
  'min_memory',
  'max_memory',
  'step_memory',
  'init_memory',
  'is_restart',
  'container_cpu',
];
const PORT_BOOLEANS = ['is_inner_service', 'is_outer_service'];
const ENV_BOOLEANS = ['is_change'];
const VOLUME_NUMBERS = ['volume_capacity'];
const PROBE_NUMBERS = [
  'initial_delay_second',
  'period_second',
  'timeout_second',
  'failure_threshold',
  'success_threshold',
];
const PROBE_BOOLEANS = ['is_used'];

/** Thrown inside the walk; caught once at the top and turned into a result. */
class RamRuleError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}

export function formatRamError(error: { path: string; reason: string }): string {
  return `invalid template: ${error.path}: ${error.reason}`;
}

/**
 * Validates and normalises a parsed template. The input is not modified: the result is a copy with
 * null lists as `[]` and legacy `proxy_header` lists as maps.
 */
export function validateRamTemplate(input: unknown): RamValidation {
  try {
    const warnings: string[] = [];
    const template = new TemplateWalker(warnings).walk(input);
    return { ok: true, template, warnings };
  } catch (error) {
    if (error instanceof RamRuleError) return { ok: false, path: error.path, reason: error.reason };
    throw error;
  }
}

function fail(path: string, reason: string): never {
  throw new RamRuleError(path, reason);
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNonEmptyString(value: Json | undefined): value is string {
  return typeof value === 'string' && value.length > 0;
}

function isPortNumber(value: Json | undefined): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535;
}

function objectAt(value: Json | undefined, path: string): JsonObject {
  if (!isObject(value)) fail(path, 'must be an object');
  return value;
}

function listAt(owner: JsonObject, key: string, path: string): JsonObject[] {
  const value = owner[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail(`${path}${key}`, 'must be a list');
  return value.map((item, i) => objectAt(item, `${path}${key}[${i}]`));
}

function requireString(owner: JsonObject, key: string, path: string, maxLength?: number): string {
  const value = owner[key];
  if (value === undefined || value === null) fail(`${path}${key}`, 'required');
  if (!isNonEmptyString(value)) fail(`${path}${key}`, 'must be a non-empty string');
  if (maxLength !== undefined && value.length > maxLength)
    fail(`${path}${key}`, `must be at most ${maxLength} characters`);
  return value;
}

function requirePresent(owner: JsonObject, key: string, path: string): Json {
  const value = owner[key];
  if (value === undefined || value === null) fail(`${path}${key}`, 'required');
  return value;
}

function requireStringMap(owner: JsonObject, key: string, path: string): void {
  const value = owner[key];
  if (!isObject(value) || Object.values(value).some((v) => typeof v !== 'string')) {
    fail(`${path}${key}`, 'must be an object of strings');
  }
}

function checkTypes(
  owner: JsonObject,
  path: string,
  numbers: string[],
  booleans: string[] = [],
): void {
  for (const key of numbers) {
    const value = owner[key];
    if (value !== undefined && value !== null && typeof value !== 'number')
      fail(`${path}${key}`, 'must be a number');
  }
  for (const key of booleans) {
    const value = owner[key];
    if (value !== undefined && value !== null && typeof value !== 'boolean')
      fail(`${path}${key}`, 'must be a boolean');
  }
}

/** What R7/R8 resolve against, gathered before the walk so that forward references work. */
interface ComponentIndex {
  byShareUuid: Map<string, JsonObject>;
  byServiceKey: Map<string, JsonObject>;
}

class TemplateWalker {
  constructor(private readonly warnings: string[]) {}

  walk(input: unknown): RamTemplate {
    const root = structuredClone(objectAt(input as Json, '$'));
    // Before any rule: the template is kept as pushed and its names, images and notes are copied
    // into text columns, so a U+0000 anywhere in it is refused (schemas/nul.ts), not dropped.
    const nul = nulPath(root);
    if (nul) fail(nul, 'must not contain U+0000');
    for (const key of NULLABLE_TOP_LISTS) if (root[key] === null) root[key] = [];
    if (root['apps'] === undefined) root['apps'] = [];

    requireString(root, 'group_key', '', 32);
    requireString(root, 'group_name', '');
    const version = requireString(root, 'group_version', '', 32);
    if (!DOTTED_VERSION.test(version))
      this.warnings.push(
        `group_version: "${version}" is not dotted integers; the console ranks it below them`,
      );
    if (root['template_version'] === undefined)
      this.warnings.push('template_version: missing, read as v2');
    if (root['governance_mode'] === undefined)
      this.warnings.push('governance_mode: missing, read as BUILD_IN_SERVICE_MESH');

    const apps = listAt(root, 'apps', '');
    const resources = listAt(root, 'k8s_resources', '');
    if (apps.length === 0 && resources.length === 0)
      fail('apps', 'template is empty (no apps and no k8s_resources)');

    const plugins = listAt(root, 'plugins', '');
    const pluginKeys = new Set(plugins.map((p) => p['plugin_key']).filter(isNonEmptyString));
    const index = this.indexComponents(apps);

    apps.forEach((app, i) => this.component(app, `apps[${i}].`, index, pluginKeys));
    plugins.forEach((plugin, i) => this.plugin(plugin, `plugins[${i}].`));
    listAt(root, 'app_config_groups', '').forEach((group, i) =>
      this.configGroup(group, `app_config_groups[${i}].`, index),
    );
    listAt(root, 'ingress_http_routes', '').forEach((route, i) =>
      this.httpRoute(route, `ingress_http_routes[${i}].`, index),
    );
    resources.forEach((resource, i) => {
      for (const key of ['name', 'kind', 'content'])
        requireString(resource, key, `k8s_resources[${i}].`);
    });
    return root as RamTemplate;
  }

  /** R3 and R7, in component order, so the first duplicate names the earlier one. */
  private indexComponents(apps: JsonObject[]): ComponentIndex {
    const index: ComponentIndex = { byShareUuid: new Map(), byServiceKey: new Map() };
    const seen = {
      service_key: new Map<string, number>(),
      service_id: new Map<string, number>(),
      service_share_uuid: new Map<string, number>(),
    };
    apps.forEach((app, i) => {
      const path = `apps[${i}].`;
      const serviceId = requireString(app, 'service_id', path);
      const serviceKey = requireString(app, 'service_key', path, 32);
      const shareUuid = isNonEmptyString(app['service_share_uuid'])
        ? app['service_share_uuid']
        : serviceKey;
      for (const [field, value] of [
        ['service_key', serviceKey],
        ['service_id', serviceId],
        ['service_share_uuid', shareUuid],
      ] as const) {
        const earlier = seen[field].get(value);
        if (earlier !== undefined) fail(`${path}${field}`, `duplicate of apps[${earlier}]`);
        seen[field].set(value, i);
      }
      index.byShareUuid.set(shareUuid, app);
      index.byServiceKey.set(serviceKey, app);
    });
    return index;
  }

  private component(
    app: JsonObject,
    path: string,
    index: ComponentIndex,
    pluginKeys: Set<string>,
  ): void {
    for (const key of NULLABLE_COMPONENT_LISTS) if (app[key] === null) app[key] = [];

    const method = requirePresent(app, 'extend_method', path);
    if (typeof method !== 'string' || !EXTEND_METHODS.has(method))
      fail(`${path}extend_method`, `must be one of ${[...EXTEND_METHODS].join(', ')}`);

    const image = isNonEmptyString(app['share_image']) ? app['share_image'] : app['image'];
    if (!isNonEmptyString(image)) fail(`${path}share_image`, 'share_image or image required');
    if (image.length > 200) fail(`${path}share_image`, 'must be at most 200 characters');

    for (const key of ['service_image', 'extend_method_map']) {
      if (key in app) objectAt(app[key], `${path}${key}`);
    }
    checkTypes(app, path, COMPONENT_NUMBERS);
    if (isObject(app['extend_method_map']))
      checkTypes(app['extend_method_map'], `${path}extend_method_map.`, EXTEND_METHOD_MAP_NUMBERS);
    if (isObject(app['service_image']))
      checkTypes(app['service_image'], `${path}service_image.`, [], ['is_trust']);

    listAt(app, 'port_map_list', path).forEach((port, i) => {
      const at = `${path}port_map_list[${i}].`;
      if (!isPortNumber(port['container_port']))
        fail(`${at}container_port`, 'must be an integer 1-65535');
      checkTypes(port, at, [], PORT_BOOLEANS);
      const protocol = port['protocol'];
      if (typeof protocol === 'string' && !PORT_PROTOCOLS.has(protocol))
        this.warnings.push(`${at}protocol: "${protocol}" is installed as tcp`);
    });
    for (const list of ['service_env_map_list', 'service_connect_info_map_list']) {
      listAt(app, list, path).forEach((env, i) => this.env(env, `${path}${list}[${i}].`));
    }
    const volumes = listAt(app, 'service_volume_map_list', path);
    volumes.forEach((volume, i) => this.volume(volume, `${path}service_volume_map_list[${i}].`));
    listAt(app, 'probes', path).forEach((probe, i) => this.probe(probe, `${path}probes[${i}].`));

    listAt(app, 'dep_service_map_list', path).forEach((dep, i) => {
      const key = dep['dep_service_key'];
      if (!isNonEmptyString(key) || !index.byShareUuid.has(key)) {
        fail(
          `${path}dep_service_map_list[${i}].dep_service_key`,
          'no component with this service_share_uuid',
        );
      }
    });
    listAt(app, 'mnt_relation_list', path).forEach((mount, i) => {
      const at = `${path}mnt_relation_list[${i}].`;
      const uuid = mount['service_share_uuid'];
      const owner = isNonEmptyString(uuid) ? index.byShareUuid.get(uuid) : undefined;
      if (!owner) fail(`${at}service_share_uuid`, 'no component with this service_share_uuid');
      const names = listAt(owner, 'service_volume_map_list', '').map((v) => v['volume_name']);
      if (!names.includes(mount['mnt_name'] ?? null))
        fail(`${at}mnt_name`, 'no volume with this name on that component');
    });
    listAt(app, 'service_related_plugin_config', path).forEach((binding, i) => {
      const at = `${path}service_related_plugin_config[${i}].`;
      const key = binding['plugin_key'];
      if (!isNonEmptyString(key) || !pluginKeys.has(key))
        fail(`${at}plugin_key`, 'no plugin with this plugin_key');
      if (binding['service_id'] !== undefined && binding['service_id'] !== app['service_id'])
        fail(`${at}service_id`, "must be the owning component's service_id");
    });
  }

  private env(env: JsonObject, path: string): void {
    const name = env['attr_name'];
    if (typeof name !== 'string' || !ENV_NAME.test(name))
      fail(`${path}attr_name`, 'invalid environment variable name');
    if (RESERVED_ENV_NAMES.has(name))
      this.warnings.push(`${path}attr_name: ${name} is reserved by the platform`);
    checkTypes(env, path, [], ENV_BOOLEANS);
    const port = env['container_port'];
    if (port !== undefined && port !== null && typeof port !== 'number')
      fail(`${path}container_port`, 'must be a number');
  }

  private volume(volume: JsonObject, path: string): void {
    for (const key of ['volume_name', 'volume_path', 'volume_type'])
      requireString(volume, key, path);
    if (volume['volume_type'] === 'config-file' && typeof volume['file_content'] !== 'string')
      fail(`${path}file_content`, 'required string for a config-file volume');
    checkTypes(volume, path, VOLUME_NUMBERS);
  }

  private probe(probe: JsonObject, path: string): void {
    const mode = probe['mode'];
    if (typeof mode !== 'string' || !PROBE_MODES.has(mode))
      fail(`${path}mode`, 'must be one of readiness, liveness, ignore');
    const port = probe['port'];
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1)
      fail(`${path}port`, 'required integer >= 1');
    checkTypes(probe, path, PROBE_NUMBERS, PROBE_BOOLEANS);
  }

  private plugin(plugin: JsonObject, path: string): void {
    for (const key of ['plugin_key', 'share_image', 'plugin_alias', 'category'])
      requireString(plugin, key, path);
    for (const key of ['desc', 'code_repo']) {
      if (typeof plugin[key] !== 'string') fail(`${path}${key}`, 'required string (may be empty)');
    }
    const image = objectAt(plugin['plugin_image'], `${path}plugin_image`);
    for (const key of ['hub_user', 'hub_password']) {
      if (!(key in image)) fail(`${path}plugin_image.${key}`, 'required');
    }
    listAt(plugin, 'config_groups', path).forEach((group, i) => {
      const at = `${path}config_groups[${i}].`;
      for (const key of ['config_name', 'service_meta_type', 'injection'])
        requireString(group, key, at);
      requirePresent(group, 'options', at);
    });
  }

  private configGroup(group: JsonObject, path: string, index: ComponentIndex): void {
    requireString(group, 'name', path);
    requireString(group, 'injection_type', path);
    if (group['config_items'] !== undefined) requireStringMap(group, 'config_items', path);
    const keys = group['component_keys'] ?? [];
    if (!Array.isArray(keys)) fail(`${path}component_keys`, 'must be a list');
    keys.forEach((key, i) => {
      if (typeof key !== 'string' || !index.byServiceKey.has(key))
        fail(`${path}component_keys[${i}]`, 'no component with this service_key');
    });
  }

  private httpRoute(route: JsonObject, path: string, index: ComponentIndex): void {
    const key = requirePresent(route, 'component_key', path);
    const component = typeof key === 'string' ? index.byServiceKey.get(key) : undefined;
    if (!component) fail(`${path}component_key`, 'no component with this service_key');
    const port = requirePresent(route, 'port', path);
    const ports = listAt(component, 'port_map_list', '').map((p) => p['container_port']);
    if (!isPortNumber(port) || !ports.includes(port))
      fail(`${path}port`, 'not a port of that component');
    for (const field of ['location', 'default_domain', 'load_balancing'])
      requirePresent(route, field, path);
    for (const field of ['cookies', 'headers'])
      objectAt(requirePresent(route, field, path), `${path}${field}`);
    if (Array.isArray(route['proxy_header']))
      route['proxy_header'] = normaliseProxyHeaderList(
        route['proxy_header'],
        `${path}proxy_header`,
      );
    if (route['proxy_header'] !== undefined) requireStringMap(route, 'proxy_header', path);
  }
}

/**
 * The legacy `[{item_key, item_value}]` form, as the console itself folds it before upload: empty
 * entries dropped, later duplicates win, a value without a key rejected.
 */
function normaliseProxyHeaderList(items: Json[], path: string): JsonObject {
  const map: JsonObject = {};
  items.forEach((item, i) => {
    const at = `${path}[${i}]`;
    if (!isObject(item)) fail(at, 'must be an object with item_key and item_value');
    const key = item['item_key'] ?? '';
    const value = item['item_value'] ?? '';
    if (typeof key !== 'string' || typeof value !== 'string')
      fail(at, 'item_key and item_value must be strings');
    if (key === '' && value === '') return;
    if (key === '') fail(`${at}.item_key`, 'required when item_value is set');
    map[key] = value;
  });
  return map;
}

/** `apps[1].service_key` → `['apps', 1, 'service_key']`, zod's path form. */
function pathSegments(path: string): (string | number)[] {
  return [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) =>
    m[2] !== undefined ? Number(m[2]) : m[1]!,
  );
}

/**
 * The template as a zod schema, for boundaries that parse with zod: the same rules, the same
 * first reported problem (as the issue's message and path), and the normalised template out.
 */
export const RamTemplateSchema = z.unknown().transform((input, ctx): RamTemplate => {
  const result = validateRamTemplate(input);
  if (result.ok) return result.template;
  ctx.addIssue({ code: 'custom', message: result.reason, path: pathSegments(result.path), input });
  return z.NEVER;
});
