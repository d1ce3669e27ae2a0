/**
 * The two registries under test, each in its own process on a free loopback port with its own
 * temp data folder: appshelf (this checkout) and CNCF Distribution (`docker-registry`).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stopChild, trackChild, trackFolder } from './cleanup.js';
import type { BenchS3 } from './s3rver.js';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const ADMIN_KEY = 'bench-admin-key-0123456789';

export type TargetName = 'appshelf' | 'distribution';

export interface Target {
  name: TargetName;
  base: string;
  pid: number;
  /** Headers every request carries (the one bearer token for appshelf; none for distribution). */
  headers: Record<string, string>;
  /** The registry's own log file (stdout + stderr). */
  logFile: string;
  stop(): Promise<void>;
}

/** Every repository the benchmark touches; the appshelf token is issued for all of them. */
export const REPOS = {
  large: 'bench/large',
  small: 'bench/small',
  mount: 'bench/mounted',
  manifests: 'bench/manifests',
  tags: 'bench/tags',
  huge: 'bench/huge',
  warm: 'bench/warmup',
} as const;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function tempFolder(prefix: string): string {
  return trackFolder(mkdtempSync(join(tmpdir(), prefix)));
}

async function waitReady(
  base: string,
  child: ChildProcess,
  logFile: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(
        `registry exited with code ${child.exitCode} before it was ready; see its log`,
      );
    try {
      const res = await fetch(`${base}/v2/`);
      await res.arrayBuffer();
      if (res.status === 200 || res.status === 401) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`registry at ${base} not ready after ${timeoutMs} ms (log: ${logFile})`);
}

/** How appshelf is started: the build output, or (when the build fails) the sources via tsx. */
export interface AppshelfLaunch {
  mode: 'dist' | 'tsx';
  args: string[];
  note?: string;
}

/**
 * The node flags of `npm start` (package.json), so that the benchmark runs the store as users
 * do: `--max-semi-space-size=4` keeps V8's young generation at 4 MiB per semi-space; the default
 * (16 MiB) showed as some 25 MB more RSS under load, for no throughput (docs/benchmarks.md).
 */
export function startFlags(): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    scripts: { start: string };
  };
  return pkg.scripts.start.split(/\s+/).filter((word) => word.startsWith('--'));
}

export function prepareAppshelf(noBuild: boolean): AppshelfLaunch {
  const dist = [...startFlags(), 'dist/server/main.js'];
  if (noBuild) {
    if (!existsSync(join(ROOT, 'dist/server/main.js')))
      throw new Error('BENCH_NO_BUILD set but dist/server/main.js is missing');
    return { mode: 'dist', args: dist };
  }
  const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status === 0) return { mode: 'dist', args: dist };
  const first =
    `${build.stdout}${build.stderr}`.split('\n').find((l) => l.includes('error')) ?? 'build failed';
  return {
    mode: 'tsx',
    args: [...startFlags(), '--import', 'tsx', 'server/main.ts'],
    note: `npm run build failed (${first.trim()}); running the sources through tsx`,
  };
}

export async function startAppshelf(
  launch: AppshelfLaunch,
  opts: {
    logLevel: string;
    profileDir?: string;
    configYaml?: string;
    s3?: BenchS3;
    /** appshelf's `database.url` (PostgreSQL); absent: SQLite in its data folder. */
    databaseUrl?: string;
  },
): Promise<Target> {
  const data = tempFolder('appshelf-bench-');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const logFile = join(data, 'appshelf.log');
  const log = openSync(logFile, 'a');
  // A proxy bench brings its own config; the S3 column points storage at the bench's s3rver.
  writeFileSync(
    join(data, 'none.yml'),
    opts.configYaml ??
      `${JSON.stringify({
        ...(opts.s3 ? appshelfS3(opts.s3) : {}),
        ...(opts.databaseUrl ? { database: { url: opts.databaseUrl } } : {}),
      })}\n`,
  );
  const nodeArgs = opts.profileDir ? ['--cpu-prof', '--cpu-prof-dir', opts.profileDir] : [];
  const child = trackChild(
    spawn(process.execPath, [...nodeArgs, ...launch.args], {
      cwd: ROOT,
      stdio: ['ignore', log, log],
      env: {
        ...process.env,
        APPSHELF_CONFIG: join(data, 'none.yml'),
        APPSHELF_DATA: join(data, 'data'),
        APPSHELF_LISTEN: `127.0.0.1:${port}`,
        APPSHELF_ADMIN_KEY: ADMIN_KEY,
        APPSHELF_LOG_LEVEL: opts.logLevel,
        APPSHELF_AUTH_TOKEN_TTL_SECONDS: '86400',
        NODE_ENV: 'production',
      },
    }),
  );
  closeSync(log);
  await waitReady(base, child, logFile);
  const token = await fetchToken(base);
  return {
    name: 'appshelf',
    base,
    pid: child.pid!,
    headers: { authorization: `Bearer ${token}` },
    logFile,
    stop: () => stopChild(child, 30_000),
  };
}

/** appshelf's config.yml on the bench s3rver (JSON is YAML). */
function appshelfS3(s3: BenchS3): Record<string, unknown> {
  const { endpoint, bucket, region, accessKeyId, secretAccessKey } = s3;
  return {
    storage: {
      driver: 's3',
      s3: {
        endpoint,
        bucket,
        region,
        accessKeyId,
        secretAccessKey,
        prefix: 'appshelf/',
        forcePathStyle: true,
      },
    },
  };
}

/**
 * Distribution's storage section: its filesystem driver, or its s3 driver on the bench s3rver
 * (path style, v4 signatures, no TLS; redirects off so that pulls go through the registry as
 * appshelf's do).
 */
function distributionStorage(dir: string, s3: BenchS3 | undefined): string[] {
  if (!s3) return ['  filesystem:', `    rootdirectory: ${join(dir, 'storage')}`];
  return [
    '  s3:',
    `    accesskey: ${s3.accessKeyId}`,
    `    secretkey: ${s3.secretAccessKey}`,
    `    region: ${s3.region}`,
    `    regionendpoint: ${s3.endpoint}`,
    '    forcepathstyle: true',
    `    bucket: ${s3.bucket}`,
    '    rootdirectory: /distribution',
    '    secure: false',
    '    v4auth: true',
    // s3rver has no UploadPartCopy: moves of up to 5 GiB (S3's CopyObject limit) in one copy.
    '    multipartcopythresholdsize: 5368709120',
    '  redirect:',
    '    disable: true',
  ];
}

/** One token for every repository and the catalog, fetched once: token issuance is not measured. */
async function fetchToken(base: string): Promise<string> {
  const url = new URL('/v2/token', base);
  url.searchParams.set('service', 'appshelf');
  for (const repo of Object.values(REPOS))
    url.searchParams.append('scope', `repository:${repo}:pull,push,delete`);
  url.searchParams.append('scope', 'registry:catalog:*');
  const res = await fetch(url, {
    headers: { authorization: `Basic ${Buffer.from(`admin:${ADMIN_KEY}`).toString('base64')}` },
  });
  if (res.status !== 200)
    throw new Error(`appshelf token endpoint answered ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as { token: string };
  return body.token;
}

/**
 * Distribution's environment: this one, without AWS_CA_BUNDLE. Its aws-sdk-go (v1) panics at
 * start when that names a bundle ("HTTPClient's transport unsupported type"), and the bench's
 * S3 endpoint is plain http on loopback anyway.
 */
function distributionEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.AWS_CA_BUNDLE;
  return env;
}

export async function startDistribution(opts: { logLevel: string; s3?: BenchS3 }): Promise<Target> {
  const dir = tempFolder('distribution-bench-');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const config = join(dir, 'config.yml');
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log:',
      `  level: ${opts.logLevel}`,
      '  accesslog:',
      `    disabled: ${opts.logLevel === 'info' ? 'false' : 'true'}`,
      'storage:',
      '  cache:',
      '    blobdescriptor: inmemory',
      ...distributionStorage(dir, opts.s3),
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: 127.0.0.1:${port}`,
      '',
    ].join('\n'),
  );
  const logFile = join(dir, 'distribution.log');
  const log = openSync(logFile, 'a');
  const child = trackChild(
    spawn('docker-registry', ['serve', config], {
      stdio: ['ignore', log, log],
      env: distributionEnv(),
    }),
  );
  closeSync(log);
  child.once('error', () => undefined);
  await waitReady(base, child, logFile);
  return {
    name: 'distribution',
    base,
    pid: child.pid!,
    headers: {},
    logFile,
    stop: () => stopChild(child, 10_000),
  };
}

/** A folder on the same disk as the registries' data, for the baseline and scratch files. */
export const scratchFolder = (): string => tempFolder('bench-scratch-');
