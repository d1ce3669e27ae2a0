/** `export` and `import`: an app version as one OCI layout tarball, for air-gapped sites. */
import type { Command } from 'commander';
import type { Context } from '../context.js';
import type { ExportOptions, ImportOptions } from './airgap-action.js';

export function registerAirgap(program: Command, ctx: Context): void {
  program
    .command('export <ref>')
    .description('write an app version (bundle, template and all images) as one OCI layout tarball')
    .requiredOption('-o, --output <file>', 'the tar file to write (e.g. app.tar)')
    .option('--json', 'print the result as JSON')
    .action(async (refText: string, opts: ExportOptions) =>
      (await import('./airgap-action.js')).exportVersion(ctx, refText, opts),
    );

  program
    .command('import <archive> [ref]')
    .description(
      'load an OCI layout tarball (from "appshelf export" or skopeo oci-archive:) into the store, digests unchanged',
    )
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\n[ref] is [<store>/]<namespace>/<app>[:<version>]; default: the app and version the archive names.',
    )
    .action(async (archive: string, refText: string | undefined, opts: ImportOptions) =>
      (await import('./airgap-action.js')).importVersion(ctx, archive, refText, opts),
    );
}
