/** What `appshelf mirror ...` does: GET /api/v1/admin/mirror, POST /api/v1/admin/mirror/{name}/run. */
import { setTimeout as delay } from 'node:timers/promises';
import type { MirrorStatus, MirrorUpstreamStatus } from '../../schemas/mirror.js';
import type { Context } from '../context.js';
import { failure } from '../errors.js';
import { bytes, json, table } from '../format.js';

const POLL_MS = 500;

export async function status(ctx: Context, opts: { json?: boolean }): Promise<void> {
  const api = await ctx.api(await ctx.store(), 'required');
  const answer = await api.get<MirrorStatus>('/admin/mirror');
  if (opts.json) return ctx.io.out(json(answer));
  if (answer.items.length === 0) return ctx.io.out('no mirror upstreams are configured');
  for (const item of answer.items) {
    for (const line of describe(item)) ctx.io.out(line);
    const rows = item.apps.map((a) => [
      a.app,
      a.versions.join(', ') || '-',
      bytes(a.bytes),
      a.error ?? '',
    ]);
    if (rows.length > 0)
      for (const line of table(['APP', 'VERSIONS', 'LAST RUN', 'ERROR'], rows)) ctx.io.out(line);
  }
}

export async function run(
  ctx: Context,
  name: string,
  opts: { wait: boolean; json?: boolean },
): Promise<void> {
  const api = await ctx.api(await ctx.store(), 'required');
  const path = `/admin/mirror/${encodeURIComponent(name)}`;
  const started = await api.post<MirrorUpstreamStatus>(`${path}/run`);
  if (!opts.wait) {
    if (opts.json) return ctx.io.out(json(started));
    return ctx.io.out(`mirror run of ${name} started`);
  }
  const startedAt = Date.now();
  ctx.io.err(`${name}: run started`);
  let shown = '';
  for (;;) {
    if (ctx.signal?.aborted) throw failure('stopped waiting; the run goes on in the store');
    const item = (await api.get<MirrorStatus>('/admin/mirror')).items.find((i) => i.name === name);
    if (!item) throw failure(`the store no longer has a mirror upstream "${name}"`);
    if (item.state === 'idle') return finish(ctx, item, opts);
    const p = item.progress;
    const line = p
      ? `${name}: ${p.app}${p.version ? ` ${p.version}` : ''}, ${bytes(p.bytes)} copied, ${Math.round((Date.now() - startedAt) / 1000)} s`
      : `${name}: starting`;
    // On a terminal the line is redrawn; in a log only a new app or version makes a line.
    const key = p ? `${p.app} ${p.version ?? ''}` : '';
    if (ctx.io.interactive) ctx.io.err(line);
    else if (key !== shown) ctx.io.err(line);
    shown = key;
    await delay(POLL_MS);
  }
}

function finish(ctx: Context, item: MirrorUpstreamStatus, opts: { json?: boolean }): void {
  if (opts.json) ctx.io.out(json(item));
  else for (const line of describe(item)) ctx.io.out(line);
  const error = item.lastRun?.error;
  if (error)
    throw failure(
      `the mirror run of ${item.name} failed: ${error}`,
      `run "appshelf mirror run ${item.name}" again: it goes on from what is held`,
    );
}

function describe(item: MirrorUpstreamStatus): string[] {
  const run = item.lastRun;
  const last = run
    ? `last run ${run.startedAt}${run.finishedAt ? ` to ${run.finishedAt}` : ''}: ${run.error ?? 'ok'}`
    : 'never run';
  const versions = item.apps.reduce((n, a) => n + a.versions.length, 0);
  const copied = item.apps.reduce((n, a) => n + a.bytes, 0);
  return [
    `${item.name} (${item.url}): ${item.state}; ${item.apps.length} apps, ${versions} versions, ${bytes(copied)} copied by the last run; ${last}`,
  ];
}
