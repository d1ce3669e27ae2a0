/**
 * A private Docker engine for tests: its own dockerd (and the containerd it starts) over a temp
 * folder, a socket of its own, no iptables, no bridge, the vfs storage driver, and the test
 * registry listed as insecure. The docker CLI talks to it through DOCKER_HOST, with DOCKER_CONFIG
 * in the same temp folder, so logins never touch the user's credentials.
 *
 * Start the appshelf test server first: dockerd reads its insecure registries only at start.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmod, lstat, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, toolAvailable, type RunResult } from '../helpers/tools.js';

export interface Dockerd {
  /** The temp folder holding everything this engine wrote. */
  dir: string;
  socket: string;
  /** DOCKER_CONFIG of the CLI: config.json with its logins. */
  configDir: string;
  /** The environment the docker CLI runs with. */
  env: NodeJS.ProcessEnv;
  /** Runs the docker CLI against this engine; rejects with its output when it fails. */
  docker(args: string[], options?: { input?: string; allowFailure?: boolean }): Promise<RunResult>;
  /** The engine's log so far (its last 64 KiB). */
  log(): string;
  stop(): Promise<void>;
}

const LOG_LIMIT = 64 * 1024;
const READY_MS = 45_000;
const STOP_MS = 15_000;
/** Variables that would point the CLI at another engine or context. */
const FOREIGN_ENV = [
  'DOCKER_CONTEXT',
  'DOCKER_TLS_VERIFY',
  'DOCKER_CERT_PATH',
  'DOCKER_API_VERSION',
];

/**
 * Why a Docker engine cannot run here, or undefined when it can. dockerd needs root and both
 * `dockerd` and `docker`; in CI (CI=true) any of these missing throws instead, since CI runs as
 * root with docker.io installed.
 */
export function dockerdUnavailable(): string | undefined {
  const isRoot = process.getuid?.() === 0;
  if (!isRoot) {
    if (process.env.CI === 'true')
      throw new Error('dockerd needs root, and CI runs as root: this run is not');
    return 'dockerd needs root; run the tests as root to include the Docker engine';
  }
  if (!toolAvailable('dockerd')) return 'dockerd is not installed (Debian package docker.io)';
  if (!toolAvailable('docker')) return 'the docker CLI is not installed (Debian package docker.io)';
  return undefined;
}

function ping(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath: socket, path: '/_ping', timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

export async function startDockerd(options: {
  insecureRegistries: string[];
  /** Docker Hub mirrors (`registry-mirrors`), e.g. `http://127.0.0.1:5000`. */
  registryMirrors?: string[];
}): Promise<Dockerd> {
  const dir = await mkdtemp(join(tmpdir(), 'appshelf-dockerd-'));
  const socket = join(dir, 'docker.sock');
  const configDir = join(dir, 'client');
  await mkdir(configDir);
  // Our own daemon config file, so a host's /etc/docker/daemon.json cannot change this engine.
  await writeFile(join(dir, 'daemon.json'), '{}\n');
  const args = [
    `--data-root=${join(dir, 'data')}`,
    `--exec-root=${join(dir, 'exec')}`,
    `--pidfile=${join(dir, 'dockerd.pid')}`,
    `--config-file=${join(dir, 'daemon.json')}`,
    `--host=unix://${socket}`,
    '--storage-driver=vfs',
    '--iptables=false',
    '--ip6tables=false',
    '--bridge=none',
    '--ip-forward=false',
    '--ip-masq=false',
    ...options.insecureRegistries.map((host) => `--insecure-registry=${host}`),
    ...(options.registryMirrors ?? []).map((url) => `--registry-mirror=${url}`),
  ];
  let log = '';
  const keep = (chunk: Buffer): void => {
    log = (log + chunk.toString('utf8')).slice(-LOG_LIMIT);
  };
  const child = spawn('dockerd', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.once('error', (err) => keep(Buffer.from(`spawn failed: ${err.message}\n`)));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DOCKER_HOST: `unix://${socket}`,
    DOCKER_CONFIG: configDir,
    DOCKER_CLI_HINTS: 'false',
  };
  for (const name of FOREIGN_ENV) delete env[name];

  const stop = onlyOnce(() => stopDockerd(child, dir));
  try {
    const deadline = Date.now() + READY_MS;
    while (!(await ping(socket))) {
      if (exited(child))
        throw new Error(
          `dockerd exited (${child.exitCode ?? child.signalCode}) before it answered /_ping`,
        );
      if (Date.now() > deadline)
        throw new Error(`dockerd did not answer /_ping within ${READY_MS / 1000} s`);
      await sleep(100);
    }
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n${log.slice(-3000)}`);
  }
  return {
    dir,
    socket,
    configDir,
    env,
    docker: (dockerArgs, runOptions = {}) =>
      run('docker', dockerArgs, { env, timeoutMs: 60_000, ...runOptions }),
    log: () => log,
    stop,
  };
}

/** Runs `fn` once; later calls get the first call's promise. */
function onlyOnce<T>(fn: () => Promise<T>): () => Promise<T> {
  let result: Promise<T> | undefined;
  return () => (result ??= fn());
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

async function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!exited(child) && Date.now() < deadline) await sleep(100);
  return exited(child);
}

/** SIGTERM, then SIGKILL after a while; then the containerd it started, mounts, and the folder. */
async function stopDockerd(child: ChildProcess, dir: string): Promise<void> {
  if (!exited(child) && child.pid !== undefined) {
    child.kill('SIGTERM');
    if (!(await waitExit(child, STOP_MS))) {
      child.kill('SIGKILL');
      await waitExit(child, 5000);
    }
  }
  await killOwnContainerd(dir);
  await unmountUnder(dir);
  await makeRemovable(dir);
  await rm(dir, { recursive: true, force: true });
}

/**
 * dockerd stops the containerd it started when it stops cleanly; after a SIGKILL that containerd
 * is left behind. Its pid file sits in our exec root, and its command line names our folder.
 */
async function killOwnContainerd(dir: string): Promise<void> {
  const pidText = await readFile(join(dir, 'exec', 'containerd', 'containerd.pid'), 'utf8').catch(
    () => '',
  );
  const pid = Number.parseInt(pidText.trim(), 10);
  if (!Number.isInteger(pid) || pid <= 0) return;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  if (!cmdline.includes(dir)) return;
  process.kill(pid, 'SIGKILL');
  const deadline = Date.now() + 5000;
  while (
    Date.now() < deadline &&
    (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')) !== ''
  )
    await sleep(100);
}

/** Lazily unmounts whatever the engine left mounted under `dir` (deepest first). */
async function unmountUnder(dir: string): Promise<void> {
  const mountinfo = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  const points = mountinfo
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((point) => point === dir || point.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const point of points) spawnSync('umount', ['-l', point]);
}

/** vfs layers may hold folders without write or search bits; give them back before removing. */
async function makeRemovable(path: string): Promise<void> {
  const info = await lstat(path).catch(() => undefined);
  if (!info?.isDirectory()) return;
  await chmod(path, 0o700).catch(() => undefined);
  const entries = await readdir(path).catch(() => [] as string[]);
  for (const name of entries) await makeRemovable(join(path, name));
}
