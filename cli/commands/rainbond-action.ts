/** The work of `appshelf import-rainbond` (loaded only when it runs). */
import { plural } from '../../schemas/plural.js';
import { parseAppRef, repositoryOf } from '../app-ref.js';
import type { Context } from '../context.js';
import { usage } from '../errors.js';
import { json } from '../format.js';
import { describeStats, progressPrinter } from '../progress.js';
import { importRainbond } from '../rainbond-package.js';

export async function importPackage(
  ctx: Context,
  archive: string,
  refText: string,
  opts: { json?: boolean },
): Promise<void> {
  const ref = parseAppRef(refText);
  if (ref.digest)
    throw usage(
      `${refText}: import writes a version tag, not a digest`,
      'write <namespace>/<app>[:<version>]',
    );
  const store = await ctx.store(ref.store);
  const printers = new Map<string, ReturnType<typeof progressPrinter>>();
  const result = await importRainbond({
    archive,
    store: { client: await ctx.registry(store), host: store.host },
    repository: repositoryOf(ref),
    version: ref.version,
    onProgress: (label, event) => {
      if (!printers.has(label)) printers.set(label, progressPrinter(ctx.io, label));
      printers.get(label)!(event);
    },
    signal: ctx.signal,
  });
  if (opts.json) return void ctx.io.out(json(result));
  for (const w of result.warnings) ctx.io.err(`warning: ${w}`);
  ctx.io.err(
    `${plural(result.components.length, 'component image')}, ${plural(result.plugins.length, 'plugin image')}: ${describeStats(result.stats)}`,
  );
  ctx.io.out(`imported ${result.reference}@${result.digest}`);
}
