/** Benchmark knobs: sizes, counts and durations, from BENCH_* environment variables. */

export interface BenchOptions {
  quick: boolean;
  /** Large blob size (MiB) for the push and pull throughput figures. */
  largeMiB: number;
  /** Chunk size (MiB) of the chunked (PATCH) upload. */
  chunkMiB: number;
  /** Repetitions of each large-blob measurement; the median is reported. */
  repeats: number;
  /**
   * Rounds of each scenario, the registries' order reversed every other round (A B, B A, ...),
   * so that a drift of the machine's load or disk state weighs on both alike.
   */
  rounds: number;
  /** Blob size (MiB) streamed in and out for the memory figure. */
  hugeMiB: number;
  /** Number of small (4 KiB) blobs pushed, and later mounted. */
  smallCount: number;
  smallBytes: number;
  concurrency: number;
  /** wrk: seconds measured per request-rate figure, after `warmupSeconds` of the same load. */
  durationSeconds: number;
  warmupSeconds: number;
  /** Tags in the repository that the manifest GET/HEAD and tags-list figures read. */
  tagCount: number;
  /** Scenario ids to run (all when empty); see SCENARIOS in registry.ts. */
  only: string[];
  /** Registry log level for both (quiet by default so that logging is not what is measured). */
  logLevel: 'warn' | 'info';
  /** Run appshelf under `node --cpu-prof` and summarise the profile at the end. */
  profile: boolean;
  /** Skip `npm run build` and use the existing dist/. */
  noBuild: boolean;
  /**
   * Where both registries keep blobs: their filesystem drivers (the default), or their S3
   * drivers on one s3rver started by the benchmark (`BENCH_STORAGE=s3`, `--storage=s3`).
   */
  storage: 'fs' | 's3';
  /**
   * appshelf's database: SQLite in its data folder (the default), or a PostgreSQL server started
   * by the benchmark with its durability settings on (`BENCH_DATABASE=postgres`,
   * `--database=postgres`). Distribution keeps its metadata in its storage either way.
   */
  database: 'sqlite' | 'postgres';
}

function databaseOf(env: NodeJS.ProcessEnv, argv: string[]): 'sqlite' | 'postgres' {
  const raw =
    argv.find((a) => a.startsWith('--database='))?.slice('--database='.length) ??
    env.BENCH_DATABASE ??
    'sqlite';
  if (raw !== 'sqlite' && raw !== 'postgres')
    throw new Error(`BENCH_DATABASE must be sqlite or postgres, got "${raw}"`);
  return raw;
}

function storageOf(env: NodeJS.ProcessEnv, argv: string[]): 'fs' | 's3' {
  const raw =
    argv.find((a) => a.startsWith('--storage='))?.slice('--storage='.length) ??
    env.BENCH_STORAGE ??
    'fs';
  if (raw !== 'fs' && raw !== 's3') throw new Error(`BENCH_STORAGE must be fs or s3, got "${raw}"`);
  return raw;
}

function num(
  env: NodeJS.ProcessEnv,
  name: string,
  full: number,
  quick: number,
  isQuick: boolean,
): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return isQuick ? quick : full;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${name} must be a positive number, got "${raw}"`);
  return value;
}

const flag = (env: NodeJS.ProcessEnv, name: string): boolean =>
  ['1', 'true', 'yes'].includes((env[name] ?? '').toLowerCase());

export function readOptions(
  env: NodeJS.ProcessEnv = process.env,
  argv: string[] = process.argv.slice(2),
): BenchOptions {
  const quick = flag(env, 'BENCH_QUICK') || argv.includes('--quick');
  const onlyArg = argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
  return {
    quick,
    largeMiB: num(env, 'BENCH_LARGE_MIB', 256, 64, quick),
    chunkMiB: num(env, 'BENCH_CHUNK_MIB', 8, 8, quick),
    repeats: num(env, 'BENCH_REPEATS', 5, 1, quick),
    rounds: num(env, 'BENCH_ROUNDS', 2, 1, quick),
    hugeMiB: num(env, 'BENCH_HUGE_MIB', 2048, 256, quick),
    smallCount: num(env, 'BENCH_SMALL_COUNT', 4000, 1000, quick),
    smallBytes: num(env, 'BENCH_SMALL_BYTES', 4096, 4096, quick),
    concurrency: num(env, 'BENCH_CONCURRENCY', 32, 32, quick),
    durationSeconds: num(env, 'BENCH_DURATION', 10, 3, quick),
    warmupSeconds: num(env, 'BENCH_WARMUP', 2, 1, quick),
    tagCount: num(env, 'BENCH_TAGS', 100, 100, quick),
    only: (onlyArg ?? env.BENCH_ONLY ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    logLevel: env.BENCH_LOG === 'info' ? 'info' : 'warn',
    profile: flag(env, 'BENCH_PROFILE') || argv.includes('--profile'),
    noBuild: flag(env, 'BENCH_NO_BUILD') || argv.includes('--no-build'),
    storage: storageOf(env, argv),
    database: databaseOf(env, argv),
  };
}
