/**
 * `install`, `info`, `versions`: reading apps from the store's API (GET /api/v1/apps/...).
 * Anonymous when not logged in (listed apps only); with a login, the user's own apps too.
 */
import type { Command } from 'commander';
import type { Context } from '../context.js';
import type { InfoOptions, InstallOptions } from './store-action.js';

export function registerStore(program: Command, ctx: Context): void {
  program
    .command('install <ref>')
    .description(
      "the template to install an app version, its images pointed at the store's copies by digest (counts one install)",
    )
    .option('-o, --output <file>', 'write the template to this file instead of stdout')
    .option('--json', 'with -o: print the result as JSON (without -o the template is JSON already)')
    .addHelpText(
      'after',
      '\n<ref> is [<store>/]<namespace>/<app>[:<version>]; without a version, the latest ready one.',
    )
    .action(async (refText: string, opts: InstallOptions) =>
      (await import('./store-action.js')).install(ctx, refText, opts),
    );

  program
    .command('info <ref>')
    .description(
      'an app (details, versions, packages, statistics) or, given a version, that version and its components',
    )
    .option('--days <n>', 'statistics over the last <n> days (1-365)', '30')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\n<ref> is [<store>/]<namespace>/<app>[:<version>].')
    .action(async (refText: string, opts: InfoOptions) =>
      (await import('./store-action.js')).info(ctx, refText, opts),
    );

  program
    .command('versions <app>')
    .description("an app's versions, newest first (members see drafts too)")
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\n<app> is [<store>/]<namespace>/<app>.')
    .action(async (refText: string, opts: { json?: boolean }) =>
      (await import('./store-action.js')).versions(ctx, refText, opts),
    );
}
