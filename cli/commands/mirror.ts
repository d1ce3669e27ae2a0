/** `mirror status`, `mirror run <name>`: the store mirror (issue 14 §2, docs/mirroring.md); admins only. */
import type { Command } from 'commander';
import type { Context } from '../context.js';

export function registerMirror(program: Command, ctx: Context): void {
  const mirror = program
    .command('mirror')
    .description('the store mirror: upstream stores whose apps this store follows (admin key)');
  mirror
    .command('status')
    .description('each upstream: its state, its last run and the apps it holds')
    .option('--json', 'print the status as JSON')
    .action(async (opts: { json?: boolean }) =>
      (await import('./mirror-action.js')).status(ctx, opts),
    );
  mirror
    .command('run <name>')
    .description('run an upstream now and follow it to its end, with progress on stderr')
    .option('--no-wait', 'start the run and return')
    .option('--json', "print the upstream's state after the run as JSON")
    .action(async (name: string, opts: { wait: boolean; json?: boolean }) =>
      (await import('./mirror-action.js')).run(ctx, name, opts),
    );
}
