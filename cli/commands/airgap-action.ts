/** The work of `appshelf export` and `appshelf import` (loaded only when they run). */
import { parseAppRef, repositoryOf } from '../app-ref.js';
import type { Context } from '../context.js';
import { usage } from '../errors.js';
import { exportApp } from '../export-app.js';
import { bytes, json } from '../format.js';
import { importApp } from '../import-app.js';
import { describeStats, progressPrinter } from '../progress.js';

export interface ExportOptions {
  output: string;
  json?: boolean;
}

export interface ImportOptions {
  json?: boolean;
}

export async function exportVersion(
  ctx: Context,
  refText: string,
  opts: ExportOptions,
): Promise<void> {
  const ref = parseAppRef(refText);
  const reference = ref.digest ?? ref.version;
  if (!reference) throw usage(`${refText} names no version`, 'write <namespace>/<app>:<version>');
  const store = await ctx.store(ref.store);
  const result = await exportApp({
    store: { client: await ctx.registry(store), host: store.host },
    repository: repositoryOf(ref),
    reference,
    output: opts.output,
    onProgress: progressPrinter(ctx.io, 'export'),
    signal: ctx.signal,
  });
  if (opts.json) return void ctx.io.out(json(result));
  ctx.io.out(
    `exported ${result.reference}@${result.digest} to ${result.output} (${bytes(result.size)})`,
  );
}

export async function importVersion(
  ctx: Context,
  archive: string,
  refText: string | undefined,
  opts: ImportOptions,
): Promise<void> {
  const ref = refText === undefined ? undefined : parseAppRef(refText);
  if (ref?.digest)
    throw usage(
      `${refText}: import writes a version tag, not a digest`,
      'write <namespace>/<app>:<version>',
    );
  const store = await ctx.store(ref?.store);
  const result = await importApp({
    archive,
    store: { client: await ctx.registry(store), host: store.host },
    repository: ref ? repositoryOf(ref) : undefined,
    version: ref?.version,
    onProgress: progressPrinter(ctx.io, 'import'),
    signal: ctx.signal,
  });
  if (opts.json) return void ctx.io.out(json(result));
  ctx.io.err(describeStats(result.stats));
  ctx.io.out(`imported ${result.reference}@${result.digest}`);
}
