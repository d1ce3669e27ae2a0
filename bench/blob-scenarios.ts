/** Blob figures: large push (monolithic and chunked) and pull, the memory run, small blobs, mounts. */
import { spawn, spawnSync } from 'node:child_process';
import { MiB, smallBlob, syntheticBlob, type SyntheticBlob } from './blob-data.js';
import { put, url, type ScenarioContext } from './context.js';
import { expect, percentile, runPool } from './http-client.js';
import { peakRssBytes, resetPeakRss, sampleRss } from './proc-stats.js';
import { trackChild } from './cleanup.js';
import { REPOS } from './targets.js';
import { cyclePathsScript, runWrk } from './wrk.js';

const OCTET = { 'content-type': 'application/octet-stream' };

/** Flushes dirty pages, so one measurement does not pay for the previous one's writeback. */
const settleDisk = (): void => void spawnSync('sync');

async function startUpload(ctx: ScenarioContext, repo: string): Promise<URL> {
  const res = await expect(202, url(ctx, `/v2/${repo}/blobs/uploads/`), {
    method: 'POST',
    headers: ctx.target.headers,
    agent: ctx.agent,
  });
  const location = res.headers.location;
  if (!location) throw new Error(`${ctx.target.name}: upload started without a Location`);
  return new URL(location, ctx.target.base);
}

function withDigest(location: URL, digest: string): URL {
  const next = new URL(location);
  next.searchParams.set('digest', digest);
  return next;
}

export async function pushMonolithic(
  ctx: ScenarioContext,
  repo: string,
  blob: SyntheticBlob,
): Promise<void> {
  const location = await startUpload(ctx, repo);
  await expect(201, withDigest(location, blob.digest), {
    method: 'PUT',
    headers: { ...ctx.target.headers, ...OCTET, 'content-length': String(blob.size) },
    body: blob.chunks(),
    agent: ctx.agent,
  });
}

export async function pushChunked(
  ctx: ScenarioContext,
  repo: string,
  blob: SyntheticBlob,
  chunkBytes: number,
): Promise<number> {
  let location = await startUpload(ctx, repo);
  let requests = 1;
  for (let start = 0; start < blob.size; start += chunkBytes) {
    const length = Math.min(chunkBytes, blob.size - start);
    const res = await expect(202, location, {
      method: 'PATCH',
      headers: {
        ...ctx.target.headers,
        ...OCTET,
        'content-length': String(length),
        'content-range': `${start}-${start + length - 1}`,
      },
      body: blob.range(start, length),
      agent: ctx.agent,
    });
    requests++;
    location = new URL(res.headers.location ?? location.href, ctx.target.base);
  }
  await expect(201, withDigest(location, blob.digest), {
    method: 'PUT',
    headers: ctx.target.headers,
    agent: ctx.agent,
  });
  return requests + 1;
}

/**
 * Pulls with curl (a separate C process): a node client tops out near the registries' own speed on
 * this machine and would cap the figure. Returns curl's own transfer time in seconds.
 */
export async function pullBlob(
  ctx: ScenarioContext,
  repo: string,
  digest: string,
  size: number,
): Promise<number> {
  const headers = Object.entries(ctx.target.headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
  const args = [
    '-s',
    '-o',
    '/dev/null',
    '-w',
    '%{http_code} %{size_download} %{time_total}',
    ...headers,
    url(ctx, `/v2/${repo}/blobs/${digest}`).href,
  ];
  const out = await new Promise<string>((resolve, reject) => {
    const child = trackChild(spawn('curl', args, { stdio: ['ignore', 'pipe', 'inherit'] }));
    let text = '';
    child.stdout!.on('data', (d: Buffer) => (text += d.toString()));
    child.once('error', reject);
    child.once('exit', () => resolve(text));
  });
  const [status, bytes, seconds] = out.trim().split(' ').map(Number);
  if (status !== 200 || bytes !== size)
    throw new Error(
      `${ctx.target.name}: pull ${digest}: status ${status}, ${bytes} of ${size} bytes`,
    );
  return seconds!;
}

const mibPerSecond = (bytes: number, seconds: number): number => bytes / MiB / seconds;

/** Large blob: monolithic push, chunked push, pull; `repeats` runs each, the median reported. */
export async function largeBlobs(ctx: ScenarioContext): Promise<void> {
  const { opts } = ctx;
  const warm = syntheticBlob(Math.min(32, opts.largeMiB));
  await pushMonolithic(ctx, REPOS.warm, warm);
  await pushChunked(
    ctx,
    REPOS.warm,
    syntheticBlob(Math.min(32, opts.largeMiB)),
    opts.chunkMiB * MiB,
  );
  await pullBlob(ctx, REPOS.warm, warm.digest, warm.size);

  const mono: number[] = [];
  const chunked: number[] = [];
  const pulls: number[] = [];
  for (let i = 0; i < opts.repeats; i++) {
    const blob = syntheticBlob(opts.largeMiB);
    settleDisk();
    const m = await ctx.ledger.measure('large push (monolithic)', async () => {
      await pushMonolithic(ctx, REPOS.large, blob);
      return { bytes: blob.size, requests: 2 };
    });
    mono.push(mibPerSecond(blob.size, m.seconds));
    ctx.state.largeDigests.push(blob.digest);

    const other = syntheticBlob(opts.largeMiB);
    settleDisk();
    const c = await ctx.ledger.measure('large push (chunked)', async () => ({
      bytes: other.size,
      requests: await pushChunked(ctx, REPOS.large, other, opts.chunkMiB * MiB),
    }));
    chunked.push(mibPerSecond(other.size, c.seconds));

    settleDisk();
    const p = await ctx.ledger.measure('large pull', async () => ({
      bytes: blob.size,
      requests: 1,
      transfer: await pullBlob(ctx, REPOS.large, blob.digest, blob.size),
    }));
    pulls.push(mibPerSecond(blob.size, p.transfer));
  }
  // Every repeat is a sample: the table shows the median over all repeats of all rounds.
  for (const v of mono) put(ctx, 'large-push', v);
  for (const v of chunked) put(ctx, 'large-push-chunked', v);
  for (const v of pulls) put(ctx, 'large-pull', v);
  ctx.log(
    `large: push ${mono.map((v) => v.toFixed(0)).join('/')} chunked ${chunked.map((v) => v.toFixed(0)).join('/')} pull ${pulls.map((v) => v.toFixed(0)).join('/')} MiB/s`,
  );
}

/** Streams one huge blob in and out; the figure is the registry's peak RSS over that. */
export async function hugeBlob(ctx: ScenarioContext): Promise<void> {
  const blob = syntheticBlob(ctx.opts.hugeMiB);
  settleDisk();
  const pid = ctx.target.pid;
  const reset = resetPeakRss(pid);
  const stopSampling = sampleRss(pid);
  const pushed = await ctx.ledger.measure('huge push', async () => {
    await pushMonolithic(ctx, REPOS.huge, blob);
    return { bytes: blob.size, requests: 2 };
  });
  const pulled = await ctx.ledger.measure('huge pull', async () => ({
    bytes: blob.size,
    requests: 1,
    transfer: await pullBlob(ctx, REPOS.huge, blob.digest, blob.size),
  }));
  const sampled = stopSampling();
  const peak = reset ? Math.max(peakRssBytes(pid), sampled) : sampled;
  put(ctx, 'huge-push', mibPerSecond(blob.size, pushed.seconds));
  put(ctx, 'huge-pull', mibPerSecond(blob.size, pulled.transfer));
  put(ctx, 'huge-peak-rss', peak / 1e6);
}

/** Small blobs: push (POST + PUT each) and mount in-process at the set concurrency; pull with wrk. */
export async function smallBlobs(ctx: ScenarioContext): Promise<void> {
  const { opts, target } = ctx;
  const pushOne = async (b: { data: Buffer; digest: string }, repo: string): Promise<void> => {
    const location = await startUpload(ctx, repo);
    await expect(201, withDigest(location, b.digest), {
      method: 'PUT',
      headers: { ...target.headers, ...OCTET },
      body: b.data,
      agent: ctx.agent,
    });
  };
  const warmBlobs = Array.from({ length: Math.min(500, opts.smallCount) }, () =>
    smallBlob(opts.smallBytes),
  );
  await runPool(warmBlobs, opts.concurrency, (b) => pushOne(b, REPOS.warm));

  const blobs = Array.from({ length: opts.smallCount }, () => smallBlob(opts.smallBytes));
  const pushed = await ctx.ledger.measure('small push', async () => {
    const run = await runPool(blobs, opts.concurrency, (b) => pushOne(b, REPOS.small));
    return { ...run, requests: run.count * 2 };
  });
  put(ctx, 'small-push', blobs.length / pushed.seconds);
  put(ctx, 'small-push-p99', percentile(pushed.latencies, 99));
  ctx.state.smallDigests = blobs.map((b) => b.digest);

  const paths = ctx.state.smallDigests.map((d) => `/v2/${REPOS.small}/blobs/${d}`);
  const wrkRun = {
    base: target.base,
    headers: target.headers,
    script: cyclePathsScript('GET', paths),
    connections: opts.concurrency,
    scratch: ctx.scratch,
  };
  await runWrk({ ...wrkRun, seconds: opts.warmupSeconds });
  const pulled = await ctx.ledger.measure('small pull', () =>
    runWrk({ ...wrkRun, seconds: opts.durationSeconds }),
  );
  if (pulled.errors) ctx.log(`small pull: ${pulled.errors} errors`);
  put(ctx, 'small-pull', pulled.rate);
  put(ctx, 'small-pull-p99', pulled.p99Ms);

  // Cross-repository mounts of every small blob into another repository.
  const mountOne = async (digest: string, from: string): Promise<void> => {
    const path = `/v2/${REPOS.mount}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`;
    await expect(201, url(ctx, path), {
      method: 'POST',
      headers: target.headers,
      agent: ctx.agent,
    });
  };
  await runPool(
    warmBlobs.map((b) => b.digest),
    opts.concurrency,
    (d) => mountOne(d, REPOS.warm),
  );
  const mounted = await ctx.ledger.measure('mount', async () => {
    const run = await runPool(ctx.state.smallDigests, opts.concurrency, (d) =>
      mountOne(d, REPOS.small),
    );
    return { ...run, requests: run.count };
  });
  put(ctx, 'mount', mounted.count / mounted.seconds);
}
