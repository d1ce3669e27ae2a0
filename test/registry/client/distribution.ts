/**
 * CNCF Distribution (`docker-registry`) for tests: its own process on a free loopback port, a
 * temp storage root, and htpasswd basic auth (the bcrypt line is made with bcryptjs, since
 * Distribution reads only bcrypt and `htpasswd` may not be installed).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';

export const DISTRIBUTION_USER = { username: 'tester', password: 'distribution-secret' };

export interface DistributionServer {
  url: string;
  host: string;
  close(): Promise<void>;
}

const BINARY = 'docker-registry';

/** Whether the binary is here; in CI (CI=true) its absence is a failure, never a skip. */
export function distributionAvailable(): boolean {
  const found = spawnSync(BINARY, ['--version'], { encoding: 'utf8' }).status === 0;
  if (!found && process.env.CI === 'true')
    throw new Error(`${BINARY} (CNCF Distribution) is not installed; CI must install it`);
  return found;
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

/** `auth: false`: anyone pushes and pulls (a stand-in for Docker Hub's public images). */
export async function startDistribution(
  options: { auth?: boolean } = {},
): Promise<DistributionServer> {
  const dir = await mkdtemp(join(tmpdir(), 'appshelf-distribution-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const hash = bcrypt.hashSync(DISTRIBUTION_USER.password, 8);
  await writeFile(join(dir, 'htpasswd'), `${DISTRIBUTION_USER.username}:${hash}\n`);
  const config = [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'storage')}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    ...(options.auth === false
      ? []
      : ['auth:', '  htpasswd:', '    realm: basic-realm', `    path: ${join(dir, 'htpasswd')}`]),
    '',
  ].join('\n');
  await writeFile(join(dir, 'config.yml'), config);
  const logFile = join(dir, 'registry.log');
  const child = spawn(BINARY, ['serve', join(dir, 'config.yml')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => log.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => log.push(chunk));
  child.once('error', () => undefined);
  try {
    await waitReady(url, child);
  } catch (err) {
    await writeFile(logFile, Buffer.concat(log)).catch(() => undefined);
    await stop(child);
    throw new Error(
      `${(err as Error).message}\n${(await readFile(logFile, 'utf8').catch(() => '')).slice(-2000)}`,
    );
  }
  return {
    url,
    host: `127.0.0.1:${port}`,
    async close() {
      await stop(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function waitReady(url: string, child: ChildProcess, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${BINARY} exited with code ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/v2/`);
      await res.arrayBuffer();
      if (res.status === 401 || res.status === 200) return; // 200: a registry without auth
    } catch {
      // not listening yet
    }
    await new Promise((done) => setTimeout(done, 50));
  }
  throw new Error(`${BINARY} not ready after ${timeoutMs} ms`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
