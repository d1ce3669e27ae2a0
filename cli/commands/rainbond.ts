/** `import-rainbond <package> <ref>`: a Rainbond offline package (…-ram.tar.gz) as an app version. */
import type { Command } from 'commander';
import type { Context } from '../context.js';

export function registerRainbond(program: Command, ctx: Context): void {
  program
    .command('import-rainbond <package> <ref>')
    .description(
      "import a Rainbond offline package (<name>-<version>-ram.tar.gz): its images into the app's repository, its template as a version ready to install",
    )
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      "\n<ref> is [<store>/]<namespace>/<app>[:<version>]; the version defaults to the template's group_version.",
    )
    .action(async (archive: string, refText: string, opts: { json?: boolean }) =>
      (await import('./rainbond-action.js')).importPackage(ctx, archive, refText, opts),
    );
}
