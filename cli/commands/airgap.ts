/** `export` and `import`: an app version as one OCI layout tarball, for air-gapped sites. */
import type { Command } from 'commander';
import { parseAppRef, repositoryOf } from '../app-ref.js';
import type { Context } from '../context.js';
import { usage } from '../errors.js';
import { bytes, json } from '../format.js';
import { exportApp } from '../export-app.js';
import { importApp } from '../import-app.js';
import { describeStats, progressPrinter } from '../progress.js';

export function registerAirgap(program: Command, ctx: Context): void {
  program
    .command('export <ref>')
    .description('write an app version (bundle, template and all images) as one OCI layout tarball')
    .requiredOption('-o, --output <file>', 'the tar file to write (e.g. app.tar)')
    .option('--json', 'print the result as JSON')
    .action(async (refText: string, opts: { output: string; json?: boolean }) => {
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
      if (opts.json) return ctx.io.out(json(result));
      ctx.io.out(`exported ${result.reference}@${result.digest} to ${result.output} (${bytes(result.size)})`);
    });

  program
    .command('import <archive> [ref]')
    .description('load an OCI layout tarball (from "appshelf export" or skopeo oci-archive:) into the store, digests unchanged')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\n[ref] is [<store>/]<namespace>/<app>[:<version>]; default: the app and version the archive names.')
    .action(async (archive: string, refText: string | undefined, opts: { json?: boolean }) => {
      const ref = refText === undefined ? undefined : parseAppRef(refText);
      if (ref?.digest) throw usage(`${refText}: import writes a version tag, not a digest`, 'write <namespace>/<app>:<version>');
      const store = await ctx.store(ref?.store);
      const result = await importApp({
        archive,
        store: { client: await ctx.registry(store), host: store.host },
        repository: ref ? repositoryOf(ref) : undefined,
        version: ref?.version,
        onProgress: progressPrinter(ctx.io, 'import'),
        signal: ctx.signal,
      });
      if (opts.json) return ctx.io.out(json(result));
      ctx.io.err(describeStats(result.stats));
      ctx.io.out(`imported ${result.reference}@${result.digest}`);
    });
}
