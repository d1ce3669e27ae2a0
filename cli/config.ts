/**
 * The CLI's own settings: the stores it has logged in to (address, user name, access key) and the
 * default one. One JSON file, readable by its owner only (0600):
 *
 *   $APPSHELF_CLI_CONFIG, else $XDG_CONFIG_HOME/appshelf/config.json, else ~/.config/appshelf/config.json
 *
 * (Not APPSHELF_CONFIG: that names the server's config.yml, and `login` must never overwrite it.)
 */
import { randomUUID } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { failure } from './errors.js';

export interface StoreLogin {
  /** Base URL of the store (`http://127.0.0.1:8080`, `https://store.example.com`). */
  url: string;
  username: string;
  key: string;
}

export interface CliConfig {
  /** host[:port] of the store used when a command names none. */
  defaultStore?: string;
  /** Logins by store host[:port]. */
  stores: Record<string, StoreLogin>;
  /** Keys a newer CLI wrote are kept as they are. */
  [other: string]: unknown;
}

/** What is wrong with the parsed file, or undefined. (Checked by hand: zod costs the light commands a third of their start-up.) */
function problemOf(json: unknown): string | undefined {
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(json)) return 'not a JSON object';
  if (json.defaultStore !== undefined && typeof json.defaultStore !== 'string')
    return 'defaultStore is not a string';
  if (json.stores === undefined) return undefined;
  if (!isObject(json.stores)) return 'stores is not an object';
  for (const [host, login] of Object.entries(json.stores)) {
    if (!isObject(login)) return `stores["${host}"] is not an object`;
    for (const field of ['url', 'username', 'key']) {
      if (typeof login[field] !== 'string' || !login[field])
        return `stores["${host}"].${field} is not a non-empty string`;
    }
  }
  return undefined;
}

export function configPath(env: Readonly<Record<string, string | undefined>>): string {
  if (env.APPSHELF_CLI_CONFIG) return env.APPSHELF_CLI_CONFIG;
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'appshelf', 'config.json');
}

/** The settings in `path`; none yet when the file does not exist. */
export async function loadConfig(path: string): Promise<CliConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { stores: {} };
    throw failure(
      `cannot read the CLI settings in ${path} (${(err as Error).message})`,
      'check its permissions',
      err,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw failure(
      `${path} is not JSON, so it is not an appshelf CLI settings file`,
      'point APPSHELF_CLI_CONFIG elsewhere or remove the file',
      err,
    );
  }
  const problem = problemOf(json);
  if (problem)
    throw failure(
      `${path} is not an appshelf CLI settings file (${problem})`,
      'fix or remove it and log in again',
    );
  const config = json as Partial<CliConfig>;
  return { ...config, stores: config.stores ?? {} };
}

/** Writes the settings atomically (temp file, then rename), readable by the owner only. */
export async function saveConfig(path: string, config: CliConfig): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temp = join(dirname(path), `.config-${randomUUID()}.tmp`);
  try {
    await writeFile(temp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
    await chmod(temp, 0o600);
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw failure(
      `cannot write the CLI settings to ${path} (${(err as Error).message})`,
      'check that the folder is writable',
      err,
    );
  }
}
