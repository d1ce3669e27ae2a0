/** `export` and `import`: app versions as one OCI layout tarball, for air-gapped sites. */
import type { Command } from 'commander';
import type { Context } from '../context.js';
import type { ExportOptions, ImportOptions } from './airgap-action.js';

export function registerAirgap(program: Command, ctx: Context): void {
  program
    .command('export <refs...>')
    .description(
      'write app versions (bundle, template, all images, plugin images, signatures) and their listings as one OCI layout tarball',
    )
    .requiredOption('-o, --output <file>', 'the tar file to write (e.g. apps.tar)')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      "\nEach ref is [<store>/]<namespace>/<app>[:<version>] or ...@<digest>; * and ? may stand in the app\nname and the version ('acme/*', 'acme/*:2.*'); no version: every ready version. All from one store.",
    )
    .action(async (refs: string[], opts: ExportOptions) =>
      (await import('./airgap-action.js')).exportVersions(ctx, refs, opts),
    );

  program
    .command('import <archive> [ref]')
    .description(
      'load an OCI layout tarball (from "appshelf export" or skopeo oci-archive:) into the store, digests and listings unchanged',
    )
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\n[ref] is [<store>/]<namespace>/<app>[:<version>]: import the one version under that name;\ndefault: everything the archive names, where it names it.',
    )
    .action(async (archive: string, refText: string | undefined, opts: ImportOptions) =>
      (await import('./airgap-action.js')).importVersion(ctx, archive, refText, opts),
    );
}
