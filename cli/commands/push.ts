/** `push <template.json> <ref>`: template + component images → an app version in the store. */
import type { Command } from 'commander';
import type { Context } from '../context.js';
import type { PushOptions } from './push-action.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function registerPush(program: Command, ctx: Context): void {
  program
    .command('push <template> <ref>')
    .description(
      "push an app version: copy each component image into the store, upload template.json, write the bundle under the version tag, and keep each plugin's image under <version>-plugin-<plugin_key>",
    )
    .option(
      '--image <key=source>',
      'where a component (service_key) or plugin (plugin_key) image comes from: docker://[host/]repo[:tag], oci:<dir>[:<tag>], docker-daemon:<name>:<tag> or docker-archive:<file>[:<name>] (repeatable; default: the image the template names)',
      collect,
    )
    .option(
      '--force',
      "republish over a version the namespace's immutability rules fix (its owners only; audited)",
    )
    .option('--skip-plugins', "leave the plugins' images where the template names them")
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      "\n<ref> is [<store>/]<namespace>/<app>[:<version>]; the version defaults to the template's group_version.\ndocker-daemon: reads the engine at DOCKER_HOST (else its default socket); oci-archive: sources are not supported yet.",
    )
    .action(async (file: string, refText: string, opts: PushOptions) =>
      (await import('./push-action.js')).push(ctx, file, refText, opts),
    );
}
