/**
 * A real PostgreSQL for tests: Debian's server binaries, a cluster made by `initdb` in a temp
 * folder, listening on a free loopback port and on a unix socket in that folder, and `psql` to
 * talk to it (the tests need no npm driver for that).
 *
 * PostgreSQL refuses to run as root. Tests may run as root (CI does), so then the cluster belongs
 * to the `postgres` user Debian's package creates, and the server runs as that user; otherwise it
 * runs as whoever runs the tests.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, toolAvailable, type RunResult } from './tools.js';

/** Debian installs each major version's server binaries here (they are not on PATH). */
const DEBIAN_ROOT = '/usr/lib/postgresql';
/** The PostgreSQL dialect's committed migrations (drizzle.pg.config.ts). */
export const PG_MIGRATIONS = fileURLToPath(
  new URL('../../server/db/migrations-pg', import.meta.url),
);
/** The superuser and database initdb creates for the tests. */
export const PG_USER = 'appshelf';
export const PG_DATABASE = 'appshelf';

/** The newest installed server's bin folder, or undefined when there is none. */
export function postgresBinDir(): string | undefined {
  if (!existsSync(DEBIAN_ROOT)) return undefined;
  const versions = readdirSync(DEBIAN_ROOT)
    .filter((v) => /^\d+$/.test(v) && existsSync(join(DEBIAN_ROOT, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(DEBIAN_ROOT, versions[0], 'bin');
}

/**
 * Whether the PostgreSQL server and psql are installed; as `toolAvailable`, a missing one throws
 * in CI. Use in a `before` hook: `if (!postgresAvailable()) this.skip();`.
 */
export function postgresAvailable(): boolean {
  const bin = postgresBinDir();
  if (bin === undefined && process.env.CI === 'true')
    throw new Error(`PostgreSQL is not installed under ${DEBIAN_ROOT}; .ci/run must install it`);
  return bin !== undefined && toolAvailable('psql');
}

export interface PostgresServer {
  /** `postgres://appshelf@127.0.0.1:<port>/appshelf`: the superuser, no password (trust). */
  url: string;
  port: number;
  /** Runs SQL through psql (stop at the first error, unaligned rows, no header). */
  psql(sql: string): Promise<RunResult>;
  /** Runs a SQL file through psql in one transaction (stop at the first error). */
  psqlFile(path: string): Promise<RunResult>;
  /** Stops the server (fast shutdown) and deletes the cluster. */
  stop(): Promise<void>;
}

/**
 * Starts a fresh cluster; throws with the server's log when it does not come up in `timeoutMs`.
 * `durable`: keep PostgreSQL's own durability settings (the benchmark's server, which must pay
 * what a production one pays); tests turn fsync off.
 */
export async function startPostgres(
  timeoutMs = 30_000,
  options: { durable?: boolean } = {},
): Promise<PostgresServer> {
  const bin = postgresBinDir();
  if (bin === undefined) throw new Error(`PostgreSQL is not installed under ${DEBIAN_ROOT}`);
  const owner = clusterOwner();
  const dir = await mkdtemp(join(tmpdir(), 'appshelf-postgres-'));
  const data = join(dir, 'data');
  const as = { uid: owner.uid, gid: owner.gid };
  // The server's environment: its own, not the tests' (a PGDATA or PGPORT of the caller's).
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' };
  try {
    await chown(dir, owner.uid, owner.gid);
    await runAs(
      join(bin, 'initdb'),
      ['-D', data, '-U', PG_USER, '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync'],
      as,
      env,
    );
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }

  const port = await freePort();
  const log: string[] = [];
  const child: ChildProcess = spawn(
    join(bin, 'postgres'),
    [
      '-D',
      data,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `unix_socket_directories=${dir}`,
      // A throwaway cluster: durability buys nothing and costs the tests seconds.
      ...(options.durable
        ? []
        : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
    ],
    { ...as, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (c: Buffer) => log.push(c.toString('utf8')));
  child.stderr?.on('data', (c: Buffer) => log.push(c.toString('utf8')));
  const exited = once(child, 'exit');
  // A test run that ends without stop() (a crash, mocha's --exit) leaves no server behind:
  // SIGQUIT is PostgreSQL's immediate shutdown, and it can be sent from an exit handler.
  const orphaned = (): void => {
    child.kill('SIGQUIT');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', orphaned);

  const url = `postgres://${PG_USER}@127.0.0.1:${port}/${PG_DATABASE}`;
  const maintenanceUrl = `postgres://${PG_USER}@127.0.0.1:${port}/postgres`;
  const psqlArgs = ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-At'];
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT'); // fast shutdown: ends sessions, no waiting for clients
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    process.removeListener('exit', orphaned);
    await rm(dir, { recursive: true, force: true });
  };

  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`postgres exited before it was ready:\n${log.join('')}`);
      const ready = spawnSync(join(bin, 'pg_isready'), ['-q', '-h', '127.0.0.1', '-p', `${port}`]);
      if (ready.status === 0) break;
      if (Date.now() > deadline)
        throw new Error(`postgres was not ready after ${timeoutMs} ms:\n${log.join('')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await run('psql', [...psqlArgs, '-d', maintenanceUrl, '-c', `CREATE DATABASE ${PG_DATABASE}`]);
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    url,
    port,
    psql: (sql) => run('psql', [...psqlArgs, '-d', url, '-c', sql]),
    psqlFile: (path) => run('psql', [...psqlArgs, '-1', '-d', url, '-f', path]),
    stop,
  };
}

/**
 * Applies the PostgreSQL migrations in journal order, each file in one transaction (drizzle's
 * migrator runs the same statements; the tests have no `pg` driver to run it with).
 */
export async function applyPgMigrations(pg: PostgresServer): Promise<void> {
  const journal = JSON.parse(
    await readFile(join(PG_MIGRATIONS, 'meta', '_journal.json'), 'utf8'),
  ) as { dialect: string; entries: { tag: string }[] };
  if (journal.dialect !== 'postgresql')
    throw new Error(`${PG_MIGRATIONS} holds ${journal.dialect} migrations`);
  for (const { tag } of journal.entries) await pg.psqlFile(join(PG_MIGRATIONS, `${tag}.sql`));
}

/** Who owns and runs the cluster: the caller, or `postgres` when the caller is root. */
function clusterOwner(): { uid: number; gid: number } {
  const me = userInfo();
  if (me.uid !== 0) return { uid: me.uid, gid: me.gid };
  const id = (flag: string): number => {
    const out = spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
    if (out.status !== 0)
      throw new Error('tests run as root and there is no `postgres` user to run PostgreSQL as');
    return Number(out.stdout.trim());
  };
  return { uid: id('-u'), gid: id('-g') };
}

/** Runs a command as `as` to completion; rejects with its output when it fails. */
async function runAs(
  command: string,
  args: string[],
  as: { uid: number; gid: number },
  env: NodeJS.ProcessEnv,
): Promise<void> {
  const child = spawn(command, args, { ...as, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [];
  child.stdout.on('data', (c: Buffer) => out.push(c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => out.push(c.toString('utf8')));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`${command} exited ${code}:\n${out.join('')}`);
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}
