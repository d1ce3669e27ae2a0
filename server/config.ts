/**
 * Loads config.yml, applies APPSHELF_* environment overrides, validates with zod. The only
 * module that reads process.env.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { parseAllowEntry } from '../registry/client/index.js';
import { Config, type ConfigInput } from '../schemas/config.js';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Short names for the keys people set most. */
const ALIASES: Record<string, string[]> = {
  APPSHELF_LISTEN: ['listen'],
  APPSHELF_DATA: ['data'],
  APPSHELF_ADMIN_KEY: ['auth', 'adminKey'],
  APPSHELF_PUBLIC_URL: ['publicUrl'],
  APPSHELF_LOG_LEVEL: ['log', 'level'],
};

export function parseConfig(input: unknown): Config {
  const parsed = Config.safeParse(input ?? {});
  if (!parsed.success)
    throw new ConfigError(`invalid configuration:\n${z.prettifyError(parsed.error)}`);
  checkAllowHosts(parsed.data.sync.allowHosts, 'sync.allowHosts');
  checkAllowHosts(parsed.data.webhooks.allowHosts, 'webhooks.allowHosts');
  return parsed.data;
}

/** The entries' syntax is the outbound policy's own (CIDR ranges, IPv6 in brackets). */
function checkAllowHosts(entries: readonly string[], key: string): void {
  entries.forEach((entry, i) => {
    try {
      parseAllowEntry(entry);
    } catch (err) {
      throw new ConfigError(
        `invalid configuration:\n✖ ${(err as Error).message}\n  → at ${key}[${i}]`,
      );
    }
  });
}

/** Reads a YAML file (absent → defaults), then the environment, then validates. */
export function loadConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): Config {
  let raw: unknown = {};
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read ${file}: ${(err as Error).message}`);
    }
    try {
      raw = parseYaml(text) ?? {};
    } catch (err) {
      throw new ConfigError(`${file} is not valid YAML: ${(err as Error).message}`);
    }
  }
  return parseConfig(applyEnv(raw as ConfigInput, env));
}

/**
 * APPSHELF_<KEY_PATH> sets a key: path segments in upper snake case joined by `_`
 * (registry.anonymousPull → APPSHELF_REGISTRY_ANONYMOUS_PULL). Values are YAML scalars.
 */
export function applyEnv(input: ConfigInput, env: NodeJS.ProcessEnv): ConfigInput {
  const out = structuredClone(input ?? {}) as Record<string, unknown>;
  const generic = new Map(configKeys().map((k) => [k.env, k.path]));
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('APPSHELF_') || value === undefined) continue;
    // Aliases name string keys: taken verbatim (a key of digits stays a string).
    const alias = ALIASES[name];
    const path = alias ?? generic.get(name);
    if (path) setPath(out, path, alias ? value : (parseYaml(value) as unknown));
  }
  return out as ConfigInput;
}

export interface ConfigKey {
  path: string[];
  env: string;
  schema: JsonSchemaNode;
}

export interface JsonSchemaNode {
  type?: string | string[];
  properties?: Record<string, JsonSchemaNode>;
  default?: unknown;
  description?: string;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchemaNode[];
  oneOf?: JsonSchemaNode[];
}

/** Every leaf key of the configuration with its environment name (for overrides and docs). */
export function configKeys(): ConfigKey[] {
  const keys = new Map<string, ConfigKey>();
  const walk = (node: JsonSchemaNode, path: string[]): void => {
    const variants = node.oneOf ?? node.anyOf;
    if (variants) return variants.forEach((v) => walk(v, path));
    if (node.properties)
      return Object.entries(node.properties).forEach(([k, child]) => walk(child, [...path, k]));
    const env = `APPSHELF_${path.map((p) => p.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('_')}`;
    if (!keys.has(env)) keys.set(env, { path, env, schema: node });
  };
  walk(z.toJSONSchema(Config, { io: 'input', unrepresentable: 'any' }) as JsonSchemaNode, []);
  return [...keys.values()];
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    node = (next && typeof next === 'object' ? next : (node[key] = {})) as Record<string, unknown>;
  }
  node[path.at(-1)!] = value;
}
