/**
 * `list`, `unlist` and `package create|list|delete`: what the shelf offers. An app is on the
 * shelf when it is listed and has a package (PUT .../shelf, POST/GET/DELETE .../packages).
 */
import type { Command } from 'commander';
import type { Context } from '../context.js';
import type { PackageCreateOptions } from './shelf-action.js';

export function registerShelf(program: Command, ctx: Context): void {
  program
    .command('list <app>')
    .description('list an app: it is on the shelf (found by everyone) once it also has a package')
    .option('--json', 'print the app as JSON')
    .action(async (refText: string, opts: { json?: boolean }) =>
      (await import('./shelf-action.js')).setListed(ctx, refText, true, opts),
    );

  program
    .command('unlist <app>')
    .description(
      'take an app off the shelf (its versions stay installable for those who may see it)',
    )
    .option('--json', 'print the app as JSON')
    .action(async (refText: string, opts: { json?: boolean }) =>
      (await import('./shelf-action.js')).setListed(ctx, refText, false, opts),
    );

  const pkg = program
    .command('package')
    .description("an app's packages: the versions the shelf offers");
  pkg
    .command('create <app> <name>')
    .description('a free package covering some ready versions of the app')
    .requiredOption('--versions <list>', 'comma-separated versions, e.g. 1.0.0,1.1.0')
    .option('--json', 'print the package as JSON')
    .action(async (refText: string, name: string, opts: PackageCreateOptions) =>
      (await import('./shelf-action.js')).createPackage(ctx, refText, name, opts),
    );
  pkg
    .command('list <app>')
    .description("the app's packages and the versions each covers")
    .option('--json', 'print the packages as JSON')
    .action(async (refText: string, opts: { json?: boolean }) =>
      (await import('./shelf-action.js')).listPackages(ctx, refText, opts),
    );
  pkg
    .command('delete <app> <name>')
    .description('delete a package (the versions stay)')
    .option('--json', 'print the result as JSON')
    .action(async (refText: string, name: string, opts: { json?: boolean }) =>
      (await import('./shelf-action.js')).deletePackage(ctx, refText, name, opts),
    );
}
