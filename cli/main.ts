/**
 * The `appshelf` command: parses the command line (commander), runs one command, and turns its
 * outcome into an exit code: 0 ok, 1 failure, 2 usage error. An error is one line on stderr,
 * `appshelf: <what failed and why>; <what to do>`.
 */
import { Command, CommanderError } from 'commander';
import { registerAdmin } from './commands/admin.js';
import { registerAirgap } from './commands/airgap.js';
import { registerAuth } from './commands/auth.js';
import { registerKeys } from './commands/keys.js';
import { registerMigrate } from './commands/migrate.js';
import { registerMirror } from './commands/mirror.js';
import { registerOrg } from './commands/org.js';
import { registerPublish } from './commands/publish.js';
import { registerPull } from './commands/pull.js';
import { registerRainbond } from './commands/rainbond.js';
import { registerRules } from './commands/rules.js';
import { registerPush } from './commands/push.js';
import { registerSearch } from './commands/search.js';
import { registerServe } from './commands/serve.js';
import { registerShelf } from './commands/shelf.js';
import { registerStore } from './commands/store.js';
import { Context, type GlobalOptions } from './context.js';
import { toCliError } from './errors.js';
import { processIo, type Io } from './io.js';

export const VERSION = '0.1.0';

export function buildProgram(ctx: Context, program: Command): Command {
  program
    .name('appshelf')
    .description(
      'appshelf: push, pull and move multi-component apps (RAM templates and their images) in an appshelf store',
    )
    .version(VERSION)
    .option(
      '--store <store>',
      'the store: host[:port] or http(s)://host[:port] (default: APPSHELF_STORE, else the store of the last login)',
    )
    .exitOverride()
    .showSuggestionAfterError()
    .configureOutput({
      writeOut: (text) => ctx.io.out(text.trimEnd()),
      writeErr: (text) => ctx.io.err(text.trimEnd()),
      outputError: (text, write) =>
        write(
          `appshelf: ${text
            .replace(/^error: /, '')
            .trim()
            .replace(/\s*\n\s*/g, ' ')}; see "appshelf --help"\n`,
        ),
    });
  registerServe(program, ctx);
  registerMigrate(program, ctx);
  registerAuth(program, ctx);
  registerKeys(program, ctx);
  registerSearch(program, ctx);
  registerPush(program, ctx);
  registerPull(program, ctx);
  registerAirgap(program, ctx);
  registerRainbond(program, ctx);
  registerStore(program, ctx);
  registerShelf(program, ctx);
  registerPublish(program, ctx);
  registerAdmin(program, ctx);
  registerMirror(program, ctx);
  registerRules(program, ctx);
  registerOrg(program, ctx);
  return program;
}

/** Runs one command line (without `node` and the script); resolves to the exit code. */
export async function main(args: string[], io: Io, signal?: AbortSignal): Promise<number> {
  const program = new Command();
  const ctx = new Context(io, () => program.opts<GlobalOptions>(), signal);
  buildProgram(ctx, program);
  try {
    await program.parseAsync(args, { from: 'user' });
    return 0;
  } catch (err) {
    // commander printed its own message (usage errors) or the help/version it was asked for
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    const e = toCliError(err);
    io.err(`appshelf: ${e.sentence}`);
    if (io.env.APPSHELF_DEBUG)
      io.err(err instanceof Error ? (err.stack ?? err.message) : String(err));
    return e.kind === 'usage' ? 2 : 1;
  }
}

/** The process entry (bin/appshelf.js): Ctrl-C aborts transfers cleanly. */
export async function run(): Promise<void> {
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort(new Error('interrupted')));
  process.exitCode = await main(process.argv.slice(2), processIo(), controller.signal);
}
