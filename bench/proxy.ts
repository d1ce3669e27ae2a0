/**
 * `npm run bench:proxy`: pulls through appshelf's pull-through cache beside direct pulls from
 * CNCF Distribution, in one run. Each round pushes a fresh image to Distribution, then pulls it
 * three ways — direct from Distribution, cold through the cache (first pull: fetched upstream
 * while streamed), warm through the cache (held) — and reports medians and ratios
 * (direct ÷ through: > 1 means the cache is faster). Writes the table into docs/benchmarks.md.
 * Knobs: BENCH_PROXY_ROUNDS (5), BENCH_PROXY_LAYERS (4), BENCH_PROXY_LAYER_MIB (16);
 * BENCH_PROXY_PROFILE=<folder> writes a CPU profile of the store there (node --cpu-prof).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request, Agent } from 'node:http';
import { RegistryClient, digestOf } from '../registry/client/index.js';
import { cleanupAll, installCleanupHooks } from './cleanup.js';
import { prepareAppshelf, ROOT, startAppshelf, startDistribution } from './targets.js';

const ROUNDS = Number(process.env.BENCH_PROXY_ROUNDS ?? 5);
const LAYERS = Number(process.env.BENCH_PROXY_LAYERS ?? 4);
const LAYER_BYTES = Number(process.env.BENCH_PROXY_LAYER_MIB ?? 16) * 1024 * 1024;
const MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';

const log = (message: string): void => void process.stderr.write(`bench:proxy: ${message}\n`);
const agent = new Agent({ keepAlive: true, maxSockets: 16 });

/** GET a URL and drain its body; resolves to the bytes read. */
function drain(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers: { accept: MANIFEST } }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`${url}: HTTP ${res.statusCode}`));
      let n = 0;
      res.on('data', (chunk: Buffer) => (n += chunk.length));
      res.on('end', () => resolve(n));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** What a client does: the manifest, then its blobs in parallel. Milliseconds. */
async function pull(base: string, repo: string, tag: string, blobs: string[]): Promise<number> {
  const started = performance.now();
  await drain(`${base}/v2/${repo}/manifests/${tag}`);
  await Promise.all(blobs.map((d) => drain(`${base}/v2/${repo}/blobs/${d}`)));
  return performance.now() - started;
}

async function pushImage(client: RegistryClient, repo: string): Promise<string[]> {
  const blob = (bytes: Buffer, mediaType: string) => ({
    desc: { mediaType, digest: digestOf(bytes), size: bytes.length },
    bytes,
  });
  const config = blob(
    Buffer.from(
      JSON.stringify({ architecture: 'amd64', os: 'linux', nonce: randomBytes(8).toString('hex') }),
    ),
    'application/vnd.docker.container.image.v1+json',
  );
  const layers = Array.from({ length: LAYERS }, () =>
    blob(randomBytes(LAYER_BYTES), 'application/vnd.docker.image.rootfs.diff.tar.gzip'),
  );
  for (const b of [config, ...layers]) await client.pushBlob(repo, b.desc, b.bytes);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MANIFEST,
      config: config.desc,
      layers: layers.map((l) => l.desc),
    }),
  );
  await client.pushManifest(repo, 'v1', manifest, MANIFEST);
  return [config, ...layers].map((b) => b.desc.digest);
}

/**
 * CPU time (user + system, all threads) a process has used, in ms, from Linux's /proc (NaN
 * elsewhere). On a shared machine it is steadier than wall time: it shows what a pull costs the
 * server that answers it, whoever else wants the cores. Ticks are taken as 10 ms (USER_HZ 100).
 */
const cpuMs = (pid: number): number => {
  if (!existsSync(`/proc/${pid}/stat`)) return NaN;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
};

/** Wall time of `pull()`, and the CPU time the answering server spent meanwhile. */
async function measured(pid: number, pullIt: () => Promise<number>): Promise<[number, number]> {
  const before = cpuMs(pid);
  const ms = await pullIt();
  return [ms, cpuMs(pid) - before];
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

async function main(): Promise<void> {
  installCleanupHooks();
  const dist = await startDistribution({ logLevel: 'error' });
  const launch = prepareAppshelf(process.env.BENCH_NO_BUILD === '1');
  const profileDir = process.env.BENCH_PROXY_PROFILE;
  const shelf = await startAppshelf(launch, {
    logLevel: 'warn',
    ...(profileDir ? { profileDir } : {}),
    configYaml: [
      'sync:',
      '  allowHosts: ["127.0.0.0/8"]',
      'registry:',
      '  proxies:',
      '    - name: dist',
      `      upstream: ${dist.base}`,
      '      anonymousPull: true',
      '',
    ].join('\n'),
  });
  const upstream = new RegistryClient({ host: dist.base });
  const times = { direct: [] as number[], cold: [] as number[], warm: [] as number[] };
  const cpu = { direct: [] as number[], cold: [] as number[], warm: [] as number[] };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const repo = `bench/proxy-${round}`;
      const blobs = await pushImage(upstream, repo);
      const runs = {
        direct: await measured(dist.pid, () => pull(dist.base, repo, 'v1', blobs)),
        cold: await measured(shelf.pid, () => pull(shelf.base, `dist/${repo}`, 'v1', blobs)),
        warm: await measured(shelf.pid, () => pull(shelf.base, `dist/${repo}`, 'v1', blobs)),
      };
      for (const way of ['direct', 'cold', 'warm'] as const) {
        times[way].push(runs[way][0]);
        cpu[way].push(runs[way][1]);
      }
      log(
        `round ${round + 1}: ` +
          (['direct', 'cold', 'warm'] as const)
            .map((w) => `${w} ${runs[w][0].toFixed(0)} ms (server CPU ${runs[w][1]} ms)`)
            .join(', '),
      );
    }
  } finally {
    await shelf.stop();
    await dist.stop();
    await cleanupAll();
  }
  const direct = median(times.direct);
  const rows = [
    ['direct from Distribution', direct, 1, median(cpu.direct)],
    ['cold through the cache', median(times.cold), direct / median(times.cold), median(cpu.cold)],
    ['warm through the cache', median(times.warm), direct / median(times.warm), median(cpu.warm)],
  ] as const;
  const mib = ((LAYERS * LAYER_BYTES) / 2 ** 20).toFixed(0);
  const table = [
    `<!-- bench:proxy -->`,
    `## Pull-through cache: \`npm run bench:proxy\` (${new Date().toISOString().slice(0, 10)})`,
    '',
    `One image of ${LAYERS} × ${LAYER_BYTES / 2 ** 20} MiB layers (${mib} MiB) per round, a fresh one each of ${ROUNDS} rounds, pulled`,
    'as a client does (manifest, then every blob at once) over loopback. Median wall time; ratio is',
    'direct ÷ this (> 1: faster than pulling from Distribution itself). Goal: warm ≥ 1, cold ≥ 0.83 (within 1.2×).',
    'Server CPU: user + system time of the process that answered (Distribution, or the store), median.',
    '',
    '| pull | median ms | ratio | server CPU ms |',
    '| --- | ---: | ---: | ---: |',
    ...rows.map(
      ([name, ms, ratio, cpuTime]) =>
        `| ${name} | ${ms.toFixed(0)} | ${ratio.toFixed(2)} | ${Number.isNaN(cpuTime) ? '–' : cpuTime.toFixed(0)} |`,
    ),
    `<!-- /bench:proxy -->`,
  ].join('\n');
  console.log(table);
  const file = join(ROOT, 'docs', 'benchmarks.md');
  const doc = readFileSync(file, 'utf8');
  const section = /<!-- bench:proxy -->[\s\S]*<!-- \/bench:proxy -->/;
  writeFileSync(
    file,
    section.test(doc) ? doc.replace(section, table) : `${doc.trimEnd()}\n\n${table}\n`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
