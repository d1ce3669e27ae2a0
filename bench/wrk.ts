/**
 * Request-rate figures come from wrk (a separate C process, so the load generator does not
 * share the measured process and costs little CPU). Scripts are Lua, written to a temp file.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { trackChild } from './cleanup.js';

export interface WrkResult {
  requests: number;
  seconds: number;
  rate: number;
  p50Ms: number;
  p99Ms: number;
  /** Responses outside 2xx/3xx plus socket errors: a figure with errors is not comparable. */
  errors: number;
}

export interface WrkRun {
  base: string;
  headers: Record<string, string>;
  /** Lua that defines `request()` (and optionally more), run after the header setup. */
  script: string;
  connections: number;
  threads?: number;
  seconds: number;
  scratch: string;
}

const luaString = (s: string): string =>
  `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;

let scriptCounter = 0;

export async function runWrk(run: WrkRun): Promise<WrkResult> {
  const headerLines = Object.entries(run.headers).map(
    ([k, v]) => `wrk.headers[${luaString(k)}] = ${luaString(v)}`,
  );
  const file = join(run.scratch, `wrk-${++scriptCounter}.lua`);
  writeFileSync(file, [...headerLines, run.script, ''].join('\n'));
  const args = [
    '-t',
    String(run.threads ?? 2),
    '-c',
    String(run.connections),
    '-d',
    `${run.seconds}s`,
    '--latency',
    '--timeout',
    '10s',
    '-s',
    file,
    run.base,
  ];
  const output = await new Promise<string>((resolve, reject) => {
    const child = trackChild(spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] }));
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`wrk exited ${code}: ${out}`)),
    );
  });
  return parseWrk(output);
}

function toMs(value: string, unit: string): number {
  const n = Number(value);
  if (unit === 'us') return n / 1000;
  if (unit === 's') return n * 1000;
  if (unit === 'm') return n * 60_000;
  return n;
}

export function parseWrk(output: string): WrkResult {
  const total = /(\d+) requests in ([\d.]+)(us|ms|s|m),/.exec(output);
  const rate = /Requests\/sec:\s+([\d.]+)/.exec(output);
  const p50 = /^\s+50%\s+([\d.]+)(us|ms|s|m)/m.exec(output);
  const p99 = /^\s+99%\s+([\d.]+)(us|ms|s|m)/m.exec(output);
  if (!total || !rate || !p99 || !p50) throw new Error(`cannot parse wrk output:\n${output}`);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(output);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(
    output,
  );
  const socketErrors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
  return {
    requests: Number(total[1]),
    seconds: toMs(total[2]!, total[3]!) / 1000,
    rate: Number(rate[1]),
    p50Ms: toMs(p50[1]!, p50[2]!),
    p99Ms: toMs(p99[1]!, p99[2]!),
    errors: (non2xx ? Number(non2xx[1]) : 0) + socketErrors,
  };
}

/** Lua: GET (or HEAD) a list of paths round-robin; each wrk thread starts at its own offset. */
export function cyclePathsScript(
  method: 'GET' | 'HEAD',
  paths: readonly string[],
  extraHeaders: Record<string, string> = {},
): string {
  return [
    ...Object.entries(extraHeaders).map(
      ([k, v]) => `wrk.headers[${luaString(k)}] = ${luaString(v)}`,
    ),
    `wrk.method = "${method}"`,
    `local paths = { ${paths.map(luaString).join(', ')} }`,
    'local i = 0',
    'function init(args) i = math.random(#paths) end',
    'function request()',
    '  i = (i % #paths) + 1',
    '  return wrk.format(nil, paths[i])',
    'end',
  ].join('\n');
}

/**
 * Lua: PUT distinct manifests by distinct tags; `template` is the manifest JSON with one `%s`
 * (made unique per request), `prefix` keeps warm-up and measured runs apart.
 */
export function putManifestsScript(
  repo: string,
  template: string,
  prefix: string,
  mediaType: string,
): string {
  return [
    `wrk.method = "PUT"`,
    `wrk.headers["Content-Type"] = ${luaString(mediaType)}`,
    `local template = ${luaString(template)}`,
    'local counter = 0',
    'local threads = 0',
    'function setup(thread) threads = threads + 1; thread:set("tid", threads) end',
    'function request()',
    '  counter = counter + 1',
    `  local tag = ${luaString(prefix)} .. tid .. "-" .. counter`,
    `  return wrk.format(nil, ${luaString(`/v2/${repo}/manifests/`)} .. tag, nil, string.format(template, tag))`,
    'end',
  ].join('\n');
}
