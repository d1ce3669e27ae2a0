/**
 * `npm run bench`: appshelf (this checkout) against CNCF Distribution, side by side in one run.
 * Each registry runs in its own process on loopback with a temp data folder; every figure is
 * printed as `name | appshelf | distribution | ratio` (ratio > 1: appshelf is better).
 * Knobs: see bench/options.ts and docs/benchmarks.md.
 */
import { startPostgres, type PostgresServer } from '../test/helpers/postgres.js';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { baselineWrite } from './baseline.js';
import { hugeBlob, largeBlobs, smallBlobs } from './blob-scenarios.js';
import { cleanupAll, installCleanupHooks, trackFolder } from './cleanup.js';
import type { ScenarioContext } from './context.js';
import { renderProfile, summariseProfile } from './cpu-profile.js';
import { keepAliveAgent } from './http-client.js';
import { Ledger } from './ledger.js';
import { manifests } from './manifest-scenarios.js';
import { METRICS } from './metrics.js';
import { readOptions, type BenchOptions } from './options.js';
import { aggregate, record, renderTable, type Results } from './report.js';
import { startS3rver, type BenchS3 } from './s3rver.js';
import {
  prepareAppshelf,
  ROOT,
  scratchFolder,
  startAppshelf,
  startDistribution,
  type Target,
} from './targets.js';

/** Scenario groups, in run order; `BENCH_ONLY=large,small` (or `--only=`) picks some. */
const SCENARIOS: { id: string; run: (ctx: ScenarioContext) => Promise<void> }[] = [
  { id: 'large', run: largeBlobs },
  { id: 'small', run: smallBlobs },
  { id: 'manifests', run: manifests },
  { id: 'huge', run: hugeBlob },
];

const log = (message: string): void => void process.stderr.write(`bench: ${message}\n`);

function machine(): string {
  const fs =
    spawnSync('stat', ['-f', '-c', '%T', tmpdir()], { encoding: 'utf8' }).stdout.trim() ||
    'unknown';
  const distribution =
    spawnSync('docker-registry', ['--version'], { encoding: 'utf8' })
      .stdout.trim()
      .split(' ')
      .pop() ?? '?';
  const wrk =
    spawnSync('wrk', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0]?.split(' ')[1] ??
    '?';
  return [
    `cpus: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}, RAM ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Linux ${release()}, temp fs ${fs}`,
    `node ${process.version}, distribution ${distribution}, wrk ${wrk}`,
  ].join('\n');
}

function settings(o: BenchOptions): string {
  return [
    `storage: ${o.storage === 's3' ? 'both registries on one s3rver (their S3 drivers)' : 'filesystem'}; appshelf's database: ${o.database === 'postgres' ? 'PostgreSQL (Debian, started by the bench, durable settings)' : 'SQLite'}`,
    `${o.rounds} round(s) in A B, B A order; figures are medians over rounds (peak RSS: the highest)`,
    `large blob ${o.largeMiB} MiB × ${o.repeats} per round (median), chunks ${o.chunkMiB} MiB, huge blob ${o.hugeMiB} MiB`,
    `small blobs ${o.smallCount} × ${o.smallBytes} B, concurrency ${o.concurrency}, wrk ${o.warmupSeconds}s warm-up + ${o.durationSeconds}s, ${o.tagCount} tags, log level ${o.logLevel}`,
  ].join('\n');
}

function phaseTable(ledgers: Map<string, Ledger>): string {
  const names = [...new Set([...ledgers.values()].flatMap((l) => l.phases.map((p) => p.name)))];
  const rows = [['phase', 'appshelf', 'distribution', 'unit']];
  for (const name of names) {
    const cells = ['appshelf', 'distribution'].map((t) => {
      const phases = ledgers.get(t)?.phases.filter((p) => p.name === name) ?? [];
      const cpu = phases.reduce((s, p) => s + p.cpu, 0);
      const bytes = phases.reduce((s, p) => s + p.bytes, 0);
      const requests = phases.reduce((s, p) => s + p.requests, 0);
      if (!phases.length) return 'n/a';
      return bytes ? (cpu / (bytes / 2 ** 30)).toFixed(2) : ((cpu / requests) * 1e6).toFixed(0);
    });
    const isBytes = ledgers.get('appshelf')?.phases.find((p) => p.name === name)?.bytes;
    rows.push([name, ...cells, isBytes ? 'CPU s/GiB' : 'CPU µs/request']);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map(
      (r) =>
        `| ${r.map((c, i) => (i === 0 || i === 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`,
    )
    .join('\n');
}

async function main(): Promise<void> {
  const opts = readOptions();
  installCleanupHooks();
  const selected = SCENARIOS.filter((s) => opts.only.length === 0 || opts.only.includes(s.id));
  if (selected.length === 0)
    throw new Error(
      `BENCH_ONLY matches no scenario (have: ${SCENARIOS.map((s) => s.id).join(', ')})`,
    );

  log('building appshelf');
  const launch = prepareAppshelf(opts.noBuild);
  if (launch.note) log(launch.note);
  const profileDir = opts.profile
    ? trackFolder(mkdtempSync(join(tmpdir(), 'appshelf-profile-')))
    : undefined;
  const scratch = scratchFolder();
  let s3: BenchS3 | undefined;
  if (opts.storage === 's3') {
    s3 = await startS3rver();
    log(`s3rver pid ${s3.pid} at ${s3.endpoint}`);
  }
  const on = s3 ? { s3 } : {};
  let postgres: PostgresServer | undefined;
  if (opts.database === 'postgres') {
    postgres = await startPostgres(30_000, { durable: true });
    log(`postgresql on port ${postgres.port} (durable: fsync and synchronous commit on)`);
  }
  const targets: Target[] = [
    await startAppshelf(launch, {
      logLevel: opts.logLevel,
      ...(profileDir ? { profileDir } : {}),
      ...(postgres ? { databaseUrl: postgres.url } : {}),
      ...on,
    }),
    await startDistribution({ logLevel: opts.logLevel, ...on }),
  ];
  log(`appshelf (${launch.mode}) pid ${targets[0]!.pid}, distribution pid ${targets[1]!.pid}`);

  const results: Results = new Map();
  const ledgers = new Map<string, Ledger>();
  const contexts = targets.map((target): ScenarioContext => {
    const ledger = new Ledger(target);
    ledgers.set(target.name, ledger);
    return {
      target,
      agent: keepAliveAgent(opts.concurrency),
      ledger,
      opts,
      scratch,
      results,
      round: 0,
      state: { largeDigests: [], smallDigests: [] },
      log: (m) => log(`${target.name}: ${m}`),
    };
  });

  for (const scenario of selected) {
    for (let round = 0; round < opts.rounds; round++) {
      for (const ctx of round % 2 === 0 ? contexts : [...contexts].reverse()) {
        log(`${scenario.id} on ${ctx.target.name} (round ${round + 1} of ${opts.rounds})`);
        ctx.round = round;
        await scenario.run(ctx);
      }
    }
  }
  for (const ctx of contexts) {
    record(results, 'cpu-per-gib', ctx.target.name, ctx.ledger.cpuPerGiB());
    record(results, 'cpu-per-1000', ctx.target.name, ctx.ledger.cpuPer1000Requests());
    ctx.agent.destroy();
  }

  let baseline: number | undefined;
  if (selected.some((s) => s.id === 'large')) {
    log('baseline: sha256 + write + fsync + rename');
    baseline = await baselineWrite(scratch, opts.largeMiB, opts.repeats);
  }
  await Promise.all(targets.map((t) => t.stop()));
  await s3?.stop();
  await postgres?.stop();

  const out: string[] = [];
  out.push(
    `appshelf vs CNCF Distribution${s3 ? ', both on S3 (s3rver)' : ''}${postgres ? ', appshelf on PostgreSQL' : ''}${opts.quick ? ' (BENCH_QUICK)' : ''}`,
    machine(),
    settings(opts),
    '',
  );
  // The targets are ratios against Distribution on its filesystem driver: not shown on S3.
  const metrics = s3 ? METRICS.map(({ target: _t, limit: _l, ...m }) => m) : METRICS;
  out.push(renderTable(metrics, results), '');
  if (baseline !== undefined) {
    const push = results.get('large-push');
    const metric = METRICS.find((m) => m.id === 'large-push')!;
    const share = (samples: number[] | undefined): string => {
      const v = aggregate(metric, samples);
      return v === undefined ? 'n/a' : `${((v / baseline!) * 100).toFixed(0)}%`;
    };
    out.push(
      `baseline, bare node sha256 + write + fsync + rename of ${opts.largeMiB} MiB on the same disk: ${baseline.toFixed(0)} MiB/s` +
        ` (monolithic push reaches: appshelf ${share(push?.appshelf)}, distribution ${share(push?.distribution)})`,
      '',
    );
  }
  out.push('registry CPU by phase:', phaseTable(ledgers));
  if (profileDir) {
    const file = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
    out.push(
      '',
      file
        ? renderProfile(summariseProfile(join(profileDir, file), ROOT))
        : 'no CPU profile written',
    );
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

main()
  .catch((err: unknown) => {
    log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exitCode = 1;
  })
  .finally(() => cleanupAll());
