/**
 * `publish <ref>`: publish a draft version. The store copies each component image from the
 * registry its template names into the app's repository, then writes the bundle (POST
 * .../versions/{v}/publish); the command follows the job (GET .../sync) until it is done or failed.
 */
import type { Command } from 'commander';
import type { Context } from '../context.js';
import type { PublishOptions } from './publish-action.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function registerPublish(program: Command, ctx: Context): void {
  program
    .command('publish <ref>')
    .description(
      'publish a draft version: the store copies its images in from the registries the template names, then writes the bundle',
    )
    .option('--no-wait', 'start the job and return; "appshelf publish <ref>" again follows it')
    .option('--retry', 'retry the failed components of the last job instead of starting a new one')
    .option('--component <service_key>', 'with --retry: only this component')
    .option(
      '--credentials-from <store>',
      'send the login kept for this store (see "appshelf login") as the credentials for its registry (repeatable)',
      collect,
    )
    .option(
      '--credential <registry=user:password>',
      'credentials for a source registry, sent with the request and held in memory by the store (repeatable; visible in the process list)',
      collect,
    )
    .option('--json', 'print the job as JSON')
    .addHelpText(
      'after',
      '\n<ref> is [<store>/]<namespace>/<app>:<version>. Running it again while a job runs follows that job.',
    )
    .action(async (refText: string, opts: PublishOptions) =>
      (await import('./publish-action.js')).publish(ctx, refText, opts),
    );
}
