/** `pull <ref>`: template.json of an app version (and, with --images, the images as an OCI layout). */
import { join } from 'node:path';
import type { Command } from 'commander';
import { parseAppRef, repositoryOf } from '../app-ref.js';
import type { Context } from '../context.js';
import { usage } from '../errors.js';
import { json } from '../format.js';
import { describeStats, progressPrinter } from '../progress.js';
import { pullApp } from '../pull-app.js';

export function registerPull(program: Command, ctx: Context): void {
  program
    .command('pull <ref>')
    .description('write template.json of an app version, its images pointed at the store\'s copies')
    .option('-o, --output <dir>', 'the folder to write to', '.')
    .option('--images', 'also write the bundle with all its images as an OCI image layout in <dir>/images')
    .option('--raw', 'write template.json exactly as it was pushed')
    .option('--json', 'print the result as JSON')
    .action(async (refText: string, opts: { output: string; images?: boolean; raw?: boolean; json?: boolean }) => {
      const ref = parseAppRef(refText);
      const reference = ref.digest ?? ref.version;
      if (!reference) throw usage(`${refText} names no version`, 'write <namespace>/<app>:<version>');
      const store = await ctx.store(ref.store);
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
      if (opts.json) return ctx.io.out(json(result));
      if (result.images) ctx.io.err(`images: ${describeStats(result.images.stats)}; OCI layout in ${result.images.layout} (tag ${result.images.tag})`);
      ctx.io.out(`pulled ${result.reference} (${result.digest}) to ${result.template}`);
    });
}
