/**
 * The real server as a child process (`node --import tsx server/main.ts`) on a data folder and
 * a free port it reports, for tests that kill it mid-work and start it again on the same data.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADMIN_KEY } from './server.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface StoreProcess {
  url: string;
  process: ChildProcess;
  /** Every line it wrote to stdout and stderr so far. */
  output: string[];
}

/** Waits until `check` holds, polling every 20 ms; fails naming `what` after `timeoutMs`. */
export async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Starts the store on `data` (its `config.yml` there), with no APPSHELF_* setting of this
 * process leaking in; resolves once it listens.
 */
export async function startStoreProcess(data: string, timeoutMs?: number): Promise<StoreProcess> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('APPSHELF_')) env[k] = v;
  Object.assign(env, {
    APPSHELF_CONFIG: join(data, 'config.yml'),
    APPSHELF_DATA: data,
    APPSHELF_LISTEN: '127.0.0.1:0',
    APPSHELF_ADMIN_KEY: ADMIN_KEY,
    APPSHELF_LOG_LEVEL: 'info',
  });
  const proc = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const child: StoreProcess = { url: '', process: proc, output: [] };
  const collect = (c: Buffer): void =>
    void child.output.push(...c.toString('utf8').split('\n').filter(Boolean));
  proc.stdout!.on('data', collect);
  proc.stderr!.on('data', collect);
  try {
    await until(
      'the server to listen',
      () => {
        if (proc.exitCode !== null)
          throw new Error(`server exited ${proc.exitCode}:\n${child.output.join('\n')}`);
        const line = child.output.find((l) => l.includes('appshelf listening on'));
        child.url = line ? (JSON.parse(line) as { url: string }).url : '';
        return child.url !== '';
      },
      timeoutMs,
    );
  } catch (err) {
    proc.kill('SIGKILL');
    throw err;
  }
  return child;
}

/** SIGKILL, as a crash would: nothing of the process's own shutdown runs. */
export async function killStore(child: StoreProcess): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  const exited = once(child.process, 'exit');
  child.process.kill('SIGKILL');
  await exited;
}
