/**
 * `npm run bench:search`: builds a temp store of generated apps, starts appshelf on it as a
 * separate process (as in production: the client does not share its event loop), and measures
 * the latency of a mix of /api/v1/search queries at concurrency 1 and 8; then, in process with
 * the caches off, what each query costs the service the first time it is seen.
 *
 *   npm run bench:search -- [--apps 100000] [--requests 3000] [--concurrency 1,8] [--json]
 *     [--store DIR] [--fts5-uncached]
 *
 * `--store DIR` keeps the generated store in DIR and reuses it on the next run with the same
 * number of apps (building 100,000 apps takes minutes); each run works on a copy of it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { Agent, createServer, get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ANONYMOUS } from '../server/auth/principal.js';
import { openDatabase } from '../server/db/open-database.js';
import { SearchQuery } from '../server/routes/search.js';
import { SearchService } from '../server/search/search-service.js';
import { SqliteSearchRepository } from '../server/search/search-sqlite.js';
import { renderProfile, summariseProfile } from './cpu-profile.js';
import { buildStore } from './kept-store.js';
import { cpuSeconds, rssBytes } from './proc-stats.js';
import { queries, type Query } from './search-queries.js';
import { startFlags } from './targets.js';

/** p99 targets of mixed queries by concurrency (issue 16): one client, and 8 at once. */
const TARGET_P99_MS: Record<number, number> = { 1: 10, 8: 25 };
const MAIN = fileURLToPath(new URL('../server/main.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** BENCH_PROFILE=1: the server runs under --cpu-prof, summarised at the end. */
const PROFILE = process.env.BENCH_PROFILE === '1';

const { values: args } = parseArgs({
  options: {
    apps: { type: 'string', default: '100000' },
    requests: { type: 'string', default: '3000' },
    concurrency: { type: 'string', default: '1,8' },
    json: { type: 'boolean', default: false },
    store: { type: 'string' },
    'fts5-uncached': { type: 'boolean', default: false },
  },
});

function request(agent: Agent, base: string, q: Query): Promise<number> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    get(`${base}/api/v1/search?${new URLSearchParams(q.params).toString()}`, { agent }, (res) => {
      res.resume();
      res.once('end', () => {
        if (res.statusCode !== 200)
          reject(new Error(`${q.kind} ${JSON.stringify(q.params)}: HTTP ${res.statusCode}`));
        else resolve(Number(process.hrtime.bigint() - started) / 1e6);
      });
    }).once('error', reject);
  });
}

/** Runs the queries with `concurrency` clients; latencies in ms by kind ('all' included). */
async function run(
  base: string,
  list: Query[],
  concurrency: number,
): Promise<Map<string, number[]>> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const byKind = new Map<string, number[]>([['all', []]]);
  let next = 0;
  const client = async (): Promise<void> => {
    while (next < list.length) {
      const q = list[next++]!;
      const ms = await request(agent, base, q);
      byKind.get('all')!.push(ms);
      const kind = byKind.get(q.kind);
      if (kind) kind.push(ms);
      else byKind.set(q.kind, [ms]);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  agent.destroy();
  return byKind;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((done) => server.close(done));
  return port;
}

async function startServer(
  data: string,
  profileDir: string | undefined,
): Promise<{ base: string; child: ChildProcess }> {
  const port = await freePort();
  const profile = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
  const child = spawn(process.execPath, [...startFlags(), ...profile, '--import', 'tsx', MAIN], {
    env: {
      ...process.env,
      APPSHELF_DATA: data,
      APPSHELF_LISTEN: `127.0.0.1:${port}`,
      APPSHELF_LOG_LEVEL: 'warn',
      APPSHELF_ADMIN_KEY: 'ask_bench-admin-key-0123456789',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  // A large store's first start runs its migrations and data migrations first.
  const startedAt = Date.now();
  for (let i = 0; i < 1200; i++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    const up = await fetch(`${base}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) {
      process.stderr.write(`server up in ${Date.now() - startedAt} ms\n`);
      return { base, child };
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error('server did not start');
}

type Results = Record<string, Record<string, { p50: number; p99: number; n: number }>>;

function record(results: Results, column: string, byKind: Map<string, number[]>): void {
  for (const [kind, ms] of byKind) {
    ms.sort((a, b) => a - b);
    (results[kind] ??= {})[column] = {
      p50: percentile(ms, 50),
      p99: percentile(ms, 99),
      n: ms.length,
    };
  }
}

const mb = (bytes: number): string => (bytes / 1e6).toFixed(0);

/** Waits until the server has used under 5% of a core for a second (at most 3 minutes). */
async function idle(pid: number): Promise<{ ms: number }> {
  const started = Date.now();
  let before = cpuSeconds(pid);
  while (Date.now() - started < 180_000) {
    await new Promise((done) => setTimeout(done, 1000));
    const now = cpuSeconds(pid);
    if (now - before < 0.05) break;
    before = now;
  }
  return { ms: Date.now() - started };
}

/**
 * The search service alone, in process, caches off: what a query costs the first time, with
 * its terms read on the search worker from its term index (built first; `--fts5-uncached`: from
 * FTS5, the worker's index off).
 */
async function uncached(
  data: string,
  warmUp: Query[],
  list: Query[],
): Promise<Map<string, number[]>> {
  const { sqlite } = openDatabase(data);
  const repository = new SqliteSearchRepository(sqlite, { index: !args['fts5-uncached'] });
  const service = new SearchService({ repository, clock: Date.now, cache: false });
  const built = Date.now();
  const version = await repository.termIndexed();
  if (version !== undefined)
    process.stderr.write(`term index built in process in ${Date.now() - built} ms\n`);
  const byKind = new Map<string, number[]>([['all', []]]);
  for (const [i, q] of [...warmUp, ...list].entries()) {
    const {
      q: text,
      tag,
      category,
      publisher,
      arch,
      sort,
      page,
      pageSize,
    } = SearchQuery.parse(q.params);
    const started = process.hrtime.bigint();
    await service.search(ANONYMOUS, {
      q: text,
      tags: tag ?? [],
      categories: category ?? [],
      publisher,
      arch,
      sort,
      page,
      pageSize,
    });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (i < warmUp.length) continue;
    byKind.get('all')!.push(ms);
    byKind.set(q.kind, [...(byKind.get(q.kind) ?? []), ms]);
  }
  await service.close();
  sqlite.close();
  return byKind;
}

async function main(): Promise<void> {
  const apps = Number(args.apps);
  const requests = Number(args.requests);
  const levels = args.concurrency.split(',').map(Number);
  const data = await mkdtemp(join(tmpdir(), 'appshelf-bench-search-'));
  let child: ChildProcess | undefined;
  try {
    const corpus = await buildStore(data, apps, args.store);
    const profileDir = PROFILE ? join(data, 'profile') : undefined;
    const server = await startServer(data, profileDir);
    child = server.child;
    await run(server.base, queries(corpus, 300, 1), 2); // warm-up (other queries): JIT, page cache, prepared statements
    // The warm-up's first search starts the search worker's term index build: measured once built.
    const settled = await idle(child.pid!);
    process.stderr.write(
      `server idle ${settled.ms} ms after the warm-up (the term index built); RSS ${mb(rssBytes(child.pid!))} MB\n`,
    );
    const results: Results = {};
    // Each level draws its own queries: some repeat earlier ones, as searches do in production.
    for (const c of levels)
      record(results, `c=${c}`, await run(server.base, queries(corpus, requests, 10 + c), c));
    process.stderr.write(`server RSS after the runs: ${mb(rssBytes(child.pid!))} MB\n`);
    child.kill('SIGTERM');
    await once(child, 'exit');
    child = undefined;
    if (profileDir) {
      const file = (await readdir(profileDir)).find((f) => f.endsWith('.cpuprofile'));
      if (file)
        process.stderr.write(`${renderProfile(summariseProfile(join(profileDir, file), ROOT))}\n`);
    }
    const firstTime = await uncached(data, queries(corpus, 300, 2), queries(corpus, requests, 3));
    record(results, 'uncached', firstTime);
    if (args.json) console.log(JSON.stringify({ apps, requests, results }, null, 2));
    else print(apps, requests, [...levels.map((c) => `c=${c}`), 'uncached'], results);
    for (const c of levels) {
      const p99 = results.all?.[`c=${c}`]?.p99 ?? NaN;
      const target = TARGET_P99_MS[c];
      const met = target === undefined || p99 < target;
      const verdict =
        target === undefined
          ? ' (no target)'
          : ` (target < ${target} ms): ${met ? 'met' : 'MISSED'}`;
      process.stderr.write(
        `mixed-query p99 over HTTP, ${c} client(s) at once: ${p99.toFixed(2)} ms${verdict}\n`,
      );
      if (!met) process.exitCode = 1;
    }
  } finally {
    child?.kill('SIGTERM');
    if (child && child.exitCode === null) await once(child, 'exit');
    await rm(data, { recursive: true, force: true });
  }
}

function print(apps: number, requests: number, columns: string[], results: Results): void {
  console.log(`search latency in ms, ${apps} apps, ${requests} requests per column`);
  console.log(
    '(c=N: over HTTP with N concurrent clients; uncached: the service alone, caches off)\n',
  );
  console.log(`| query | ${columns.map((c) => `${c} p50 | ${c} p99`).join(' | ')} |`);
  console.log(`|---|${columns.map(() => '---:|---:').join('|')}|`);
  const rows = Object.entries(results).sort(
    ([a], [b]) => Number(a === 'all') - Number(b === 'all'),
  );
  for (const [kind, row] of rows) {
    const cells = columns.map((c) => {
      const r = row[c];
      return r ? `${r.p50.toFixed(2)} | ${r.p99.toFixed(2)}` : '- | -';
    });
    console.log(`| ${kind} | ${cells.join(' | ')} |`);
  }
}

await main();
