/**
 * `rules show|immutability|retention|run`: a namespace's (or, with --app, an app's) immutability
 * and retention rules (issue 17 §2, §3; docs/governance.md). Owners and admins change and run
 * them; members read them.
 */
import { InvalidArgumentError, type Command } from 'commander';
import type { Context } from '../context.js';

/**
 * A rule's count: a positive whole number, or `none` (no such rule; kept as the word, since
 * commander turns an option parser's null into '').
 */
export function parseCount(text: string): number | 'none' {
  if (text === 'none') return 'none';
  if (!/^[1-9][0-9]*$/.test(text))
    throw new InvalidArgumentError('expected a whole number from 1, or "none"');
  return Number(text);
}

function parseSwitch(text: string): boolean {
  if (text === 'on') return true;
  if (text === 'off') return false;
  throw new InvalidArgumentError('expected on or off');
}

const collect = (value: string, previous: string[] | undefined): string[] => [
  ...(previous ?? []),
  value,
];

export function registerRules(program: Command, ctx: Context): void {
  const rules = program
    .command('rules')
    .description("a namespace's immutability and retention rules (owners set and run them)");
  const action = async () => import('./rules-action.js');
  rules
    .command('show <namespace>')
    .description('the immutability rules and the retention rules set on a namespace or an app')
    .option('--app <app>', "an app's own retention rules instead of the namespace's")
    .option('--json', 'print the rules as JSON')
    .action(async (namespace: string, opts: { app?: string; json?: boolean }) =>
      (await action()).show(ctx, namespace, opts),
    );
  rules
    .command('immutability <namespace>')
    .description('fix published versions and tags matching patterns; what is not given stays')
    .option('--versions <on|off>', "published app versions' tags are immutable", parseSwitch)
    .option('--tag-pattern <glob>', 'a tag pattern (* and ?); repeat it for more', collect)
    .option('--clear-patterns', 'remove every tag pattern')
    .option('--json', 'print the rules as JSON')
    .action(
      async (
        namespace: string,
        opts: {
          versions?: boolean;
          tagPattern?: string[];
          clearPatterns?: boolean;
          json?: boolean;
        },
      ) => (await action()).immutability(ctx, namespace, opts),
    );
  rules
    .command('retention <namespace>')
    .description('which versions and untagged manifests a run removes; what is not given stays')
    .option('--app <app>', "an app's own rules instead of the namespace's")
    .option(
      '--keep-newest <n>',
      "keep each app's n newest versions (none: no such rule)",
      parseCount,
    )
    .option(
      '--keep-pulled-days <d>',
      'keep versions pushed, pulled or installed in the last d days (none: no such rule)',
      parseCount,
    )
    .option(
      '--untagged-hours <h>',
      'remove untagged manifests older than h hours (none: never)',
      parseCount,
    )
    .option('--json', 'print the rules as JSON')
    .action(async (namespace: string, opts: RetentionOptions) =>
      (await action()).retention(ctx, namespace, opts),
    );
  rules
    .command('run <namespace>')
    .description('remove what the retention rules say should go, then free the bytes (GC)')
    .option('--app <app>', "run an app's rules only")
    .option('--dry-run', 'only list what would go, and why the rest stays')
    .option('--force', 'remove immutable versions too (owners: audited as forced)')
    .option('--json', 'print the report as JSON')
    .action(
      async (
        namespace: string,
        opts: { app?: string; dryRun?: boolean; force?: boolean; json?: boolean },
      ) => (await action()).run(ctx, namespace, opts),
    );
}

export interface RetentionOptions {
  app?: string;
  keepNewest?: number | 'none';
  keepPulledDays?: number | 'none';
  untaggedHours?: number | 'none';
  json?: boolean;
}
