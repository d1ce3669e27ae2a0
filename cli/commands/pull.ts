/** `pull <ref>`: template.json of an app version (and, with --images, the images as an OCI layout). */
import type { Command } from 'commander';
import type { Context } from '../context.js';
import type { PullOptions } from './pull-action.js';

export function registerPull(program: Command, ctx: Context): void {
  program
    .command('pull <ref>')
    .description(
      "write template.json of an app version (default: the newest listed), its images pointed at the store's copies",
    )
    .option('-o, --output <dir>', 'the folder to write to', '.')
    .option(
      '--images',
      'also write the bundle with all its images as an OCI image layout in <dir>/images',
    )
    .option('--raw', 'write template.json exactly as it was pushed')
    .option('--json', 'print the result as JSON')
    .action(async (refText: string, opts: PullOptions) =>
      (await import('./pull-action.js')).pull(ctx, refText, opts),
    );
}
