/**
 * `npm run bench:pages`: how long the web takes to make its two busiest pages, the home page and
 * an app page, over a generated store of 1,000 apps (bench/search-corpus.ts). The store runs in
 * this process (createApp, as the tests do) and one client asks for one page at a time, so each
 * time is the server's work plus a loopback round trip. Reports p50/p95/p99 per page; the target
 * is p95 < 50 ms for both.
 *
 *   npm run bench:pages -- [--apps 1000] [--requests 300] [--json] [--store DIR]
 *
 * `--store DIR`: keep the generated store and reuse it (kept-store.ts; shared with bench:search).
 */
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, createServer, get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Writable } from 'node:stream';
import { createApp } from '../server/app.js';
import { parseConfig } from '../server/config.js';
import { openDatabase } from '../server/db/open-database.js';
import { createLogger } from '../server/logger.js';
import { buildStore } from './kept-store.js';
import { random } from './search-corpus.js';

const TARGET_P95_MS = 50;

const { values: args } = parseArgs({
  options: {
    apps: { type: 'string', default: '1000' },
    requests: { type: 'string', default: '300' },
    json: { type: 'boolean', default: false },
    store: { type: 'string' },
  },
});

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

/** One GET; resolves with the milliseconds until the whole body arrived. */
function timeGet(url: string): Promise<number> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    get(url, { agent, headers: { accept: 'text/html', 'user-agent': 'bench-pages' } }, (res) => {
      res.on('data', () => undefined);
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`${url}: ${res.statusCode}`));
        else resolve(Number(process.hrtime.bigint() - started) / 1e6);
      });
      res.on('error', reject);
    }).on('error', reject);
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function main(): Promise<void> {
  const count = Number(args.apps);
  const requests = Number(args.requests);
  const data = await mkdtemp(join(tmpdir(), 'appshelf-bench-pages-'));
  try {
    await buildStore(data, count, args.store);
    const seeded = openDatabase(data);
    const apps = seeded.sqlite
      .prepare<[], { namespace: string; name: string }>(
        'SELECT namespace, name FROM apps a WHERE listed = 1 AND EXISTS (SELECT 1 FROM packages p WHERE p.app_id = a.id)',
      )
      .all();
    seeded.sqlite.close();

    const quiet = new Writable({ write: (_c, _e, done) => done() });
    const app = await createApp(parseConfig({ data, listen: '127.0.0.1:0' }), {
      log: createLogger('warn', quiet),
      print: () => undefined,
    });
    const server = createServer(app.handler).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const rnd = random(7);
    const appUrl = (): string => {
      const a = apps[Math.floor(rnd() * apps.length)]!;
      return `${base}/apps/${encodeURIComponent(a.namespace)}/${encodeURIComponent(a.name)}`;
    };
    try {
      for (let i = 0; i < 20; i++) {
        await timeGet(`${base}/`);
        await timeGet(appUrl());
      }
      const results: Record<string, number[]> = { home: [], app: [] };
      for (let i = 0; i < requests; i++) {
        results.home!.push(await timeGet(`${base}/`));
        results.app!.push(await timeGet(appUrl()));
      }
      const report = Object.fromEntries(
        Object.entries(results).map(([page, times]) => {
          const sorted = [...times].sort((a, b) => a - b);
          return [
            page,
            {
              p50: percentile(sorted, 50),
              p95: percentile(sorted, 95),
              p99: percentile(sorted, 99),
              max: sorted.at(-1)!,
            },
          ];
        }),
      );
      if (args.json)
        process.stdout.write(
          `${JSON.stringify({ apps: count, requests, targetP95Ms: TARGET_P95_MS, pages: report })}\n`,
        );
      else {
        process.stdout.write(
          `web pages over ${count} apps, ${requests} requests each, one at a time\n`,
        );
        for (const [page, r] of Object.entries(report)) {
          process.stdout.write(
            `  ${page.padEnd(5)} p50 ${r.p50.toFixed(2)} ms  p95 ${r.p95.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  max ${r.max.toFixed(2)} ms\n`,
          );
        }
      }
      const worst = Math.max(...Object.values(report).map((r) => r.p95));
      process.stderr.write(
        `worst p95 ${worst.toFixed(2)} ms (target < ${TARGET_P95_MS} ms): ${worst < TARGET_P95_MS ? 'met' : 'MISSED'}\n`,
      );
      if (worst >= TARGET_P95_MS) process.exitCode = 1;
    } finally {
      agent.destroy();
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
      await app.shutdown();
    }
  } finally {
    await rm(data, { recursive: true, force: true });
  }
}

await main();
