/** `serve`: runs the store in this process, as `npm start` does (server/main.ts). */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import type { Context } from '../context.js';

export function registerServe(program: Command, ctx: Context): void {
  program
    .command('serve')
    .description(
      'run the store: registry, API and web on one port (config.yml, APPSHELF_* overrides)',
    )
    .option(
      '-c, --config <file>',
      'the config file (default: APPSHELF_CONFIG, else ./config.yml when present)',
    )
    .action(async (opts: { config?: string }) => {
      const file =
        opts.config ??
        ctx.io.env.APPSHELF_CONFIG ??
        (existsSync('config.yml') ? 'config.yml' : undefined);
      // Loaded only here: the other commands never pull in the server.
      const { serve } = await import('../../server/main.js');
      await serve(file);
    });
}
