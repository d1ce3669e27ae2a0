/**
 * Runs the real `appshelf` binary (`node bin/appshelf.js` from the sources) in a folder with its
 * own settings file, for the CLI tests: exit code, stdout and stderr.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/appshelf.js', import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  stdin?: string;
  /** The settings file (default: <dir>/config.json). */
  config?: string;
  env?: Record<string, string>;
}

export interface Cli {
  run(args: string[], options?: CliOptions): Promise<CliRun>;
  /** Runs and expects exit code 0; resolves to stdout. */
  ok(args: string[], options?: CliOptions): Promise<string>;
  /** Runs with --json and expects exit code 0; resolves to stdout parsed. */
  okJson<T>(args: string[], options?: CliOptions): Promise<T>;
}

export function cliIn(dir: () => string): Cli {
  const run = (args: string[], options: CliOptions = {}): Promise<CliRun> =>
    new Promise((resolve, reject) => {
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        APPSHELF_CLI_CONFIG: options.config ?? join(dir(), 'config.json'),
        APPSHELF_CLI_SOURCE: '1',
        ...options.env,
      };
      delete env.APPSHELF_STORE;
      delete env.NODE_OPTIONS;
      const child = spawn(process.execPath, [BIN, ...args], {
        cwd: dir(),
        env,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
      child.stdin.end(options.stdin ?? '');
    });
  const ok = async (args: string[], options: CliOptions = {}): Promise<string> => {
    const r = await run(args, options);
    expect(r.code, `appshelf ${args.join(' ')}\n${r.stderr}`).to.equal(0);
    return r.stdout;
  };
  const okJson = async <T>(args: string[], options: CliOptions = {}): Promise<T> =>
    JSON.parse(await ok([...args, '--json'], options)) as T;
  return { run, ok, okJson };
}
