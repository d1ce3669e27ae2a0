/**
 * An isolated home for containers/image clients (skopeo, podman): its own auth file, signature
 * policy and registries.conf in a temp folder, so a test never reads or writes the user's config.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestServer } from '../helpers/server.js';

export interface ClientHome {
  dir: string;
  authFile: string;
  policy: string;
  env: NodeJS.ProcessEnv;
}

export async function clientHome(prefix: string): Promise<ClientHome> {
  // Lower case only: podman names an image pulled from `oci:<dir>` after the folder, and image
  // names may not hold capitals (mkdtemp's suffix does).
  const dir = join(tmpdir(), `appshelf-${prefix}-${randomBytes(6).toString('hex')}`);
  await mkdir(dir, { mode: 0o700 });
  const home = join(dir, 'home');
  const runtime = join(dir, 'run');
  await mkdir(home, { recursive: true });
  await mkdir(runtime, { recursive: true, mode: 0o700 });
  const authFile = join(dir, 'auth.json');
  const policy = join(dir, 'policy.json');
  const registries = join(dir, 'registries.conf');
  await writeFile(authFile, '{"auths":{}}\n');
  await writeFile(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
  await writeFile(registries, 'unqualified-search-registries = []\n');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    XDG_RUNTIME_DIR: runtime,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_DATA_HOME: join(home, '.local', 'share'),
    REGISTRY_AUTH_FILE: authFile,
    CONTAINERS_REGISTRIES_CONF: registries,
    TMPDIR: dir,
  };
  return { dir, authFile, policy, env };
}

export interface SeenRequest {
  method: string;
  url: string;
  status: number;
}

/** Records every request the server answers (method, URL, status), in the order they finish. */
export function recordRequests(srv: TestServer): SeenRequest[] {
  const seen: SeenRequest[] = [];
  srv.server.on('request', (req, res) => {
    res.on('finish', () =>
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        status: res.statusCode,
      }),
    );
  });
  return seen;
}
