/** The work of `appshelf export` and `appshelf import` (loaded only when they run). */
import { parseAppRef, repositoryOf } from '../app-ref.js';
import type { Context } from '../context.js';
import { usage } from '../errors.js';
import { exportApp } from '../export-app.js';
import { parseSelector, selectVersions } from '../export-selector.js';
import { bytes, json } from '../format.js';
import { importApp } from '../import-app.js';
import { describeStats } from '../progress.js';
import { progressView } from '../progress-bars.js';

export interface ExportOptions {
  output: string;
  json?: boolean;
}

export interface ImportOptions {
  json?: boolean;
}

export async function exportVersions(
  ctx: Context,
  refTexts: string[],
  opts: ExportOptions,
): Promise<void> {
  const selectors = refTexts.map(parseSelector);
  const stores = new Set(selectors.map((s) => s.store));
  if (stores.size > 1)
    throw usage('the refs name more than one store', 'export from one store at a time');
  const store = await ctx.store(selectors[0]?.store);
  const api = await ctx.api(store, 'optional');
  const versions = await selectVersions(api, selectors);
  const progress = progressView(ctx.io);
  const result = await exportApp({
    store: { client: await ctx.registry(store), host: store.host },
    api,
    versions,
    output: opts.output,
    onProgress: (label, event) => progress.listener(label)(event),
    onExternal: (repository, plugin) =>
      ctx.io.err(
        `export: ${repository}: plugin ${plugin.pluginKey} names ${plugin.ref}, which is not on the store; its image is not in the archive`,
      ),
    signal: ctx.signal,
  }).finally(() => progress.stop());
  if (opts.json) return void ctx.io.out(json(result));
  const what =
    result.versions.length === 1
      ? `${result.reference}@${result.digest}`
      : `${result.versions.length} app versions`;
  ctx.io.out(`exported ${what} to ${result.output} (${bytes(result.size)})`);
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
  const api = await ctx.api(store, 'optional');
  const progress = progressView(ctx.io);
  const result = await importApp({
    archive,
    store: { client: await ctx.registry(store), host: store.host },
    // Listings are written through the API, which takes a signed-in caller.
    api: api.authenticated ? api : undefined,
    repository: ref ? repositoryOf(ref) : undefined,
    version: ref?.version,
    onProgress: (label, event) => progress.listener(label)(event),
    signal: ctx.signal,
  }).finally(() => progress.stop());
  if (opts.json) return void ctx.io.out(json(result));
  ctx.io.err(describeStats(result.stats));
  for (const v of result.versions) ctx.io.out(`imported ${v.reference}@${v.digest}`);
}
