/** The work of `appshelf pull` (loaded only when it runs). */
import { join } from 'node:path';
import { parseAppRef, repositoryOf } from '../app-ref.js';
import type { Context } from '../context.js';
import { defaultVersion } from '../default-version.js';
import { json } from '../format.js';
import { describeStats, progressPrinter } from '../progress.js';
import { pullApp } from '../pull-app.js';

export interface PullOptions {
  output: string;
  images?: boolean;
  raw?: boolean;
  json?: boolean;
}

export async function pull(ctx: Context, refText: string, opts: PullOptions): Promise<void> {
  const ref = parseAppRef(refText);
  const store = await ctx.store(ref.store);
  // No version named: the newest listed one, as `install` takes it.
  const reference =
    ref.digest ?? ref.version ?? (await defaultVersion(await ctx.api(store, 'optional'), ref));
  const result = await pullApp({
    store: { client: await ctx.registry(store), host: store.host },
    repository: repositoryOf(ref),
    reference,
    outputDir: opts.output,
    raw: opts.raw === true,
    imagesDir: opts.images ? join(opts.output, 'images') : undefined,
    onProgress: progressPrinter(ctx.io, 'images'),
    signal: ctx.signal,
  });
  if (opts.json) return void ctx.io.out(json(result));
  if (result.images)
    ctx.io.err(
      `images: ${describeStats(result.images.stats)}; OCI layout in ${result.images.layout} (tag ${result.images.tag})`,
    );
  ctx.io.out(`pulled ${result.reference} (${result.digest}) to ${result.template}`);
}
