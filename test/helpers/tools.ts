/** Third-party command-line tools the tests drive (skopeo, podman, docker, docker-registry). */
import { spawn, spawnSync } from 'node:child_process';

/**
 * Whether `command` is installed. In CI (CI=true) a missing tool throws: CI installs every tool
 * the tests need, so its absence is a failure there, never a skip. Use in a `before` hook:
 * `if (!toolAvailable('skopeo')) this.skip();`.
 */
export function toolAvailable(command: string, versionArgs: string[] = ['--version']): boolean {
  const found = spawnSync(command, versionArgs, { encoding: 'utf8' }).status === 0;
  if (!found && process.env.CI === 'true')
    throw new Error(`${command} is not installed; .ci/run must install it`);
  return found;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command to completion (never through a shell) and rejects with its output when it fails,
 * so a failing client names its own error in the test report.
 */
export function run(
  command: string,
  args: string[],
  options: {
    env?: NodeJS.ProcessEnv;
    input?: string;
    allowFailure?: boolean;
    timeoutMs?: number;
  } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const result = {
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      };
      if (code !== 0 && !options.allowFailure)
        reject(
          new Error(
            `${command} ${args.join(' ')} exited ${code}:\n${result.stderr || result.stdout}`,
          ),
        );
      else resolve(result);
    });
    // A command that exits before reading its input (a daemon gone, a bad flag) closes the pipe:
    // its exit code tells what happened; the EPIPE must not throw out of the test run.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}
