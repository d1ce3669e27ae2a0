/**
 * `migrate --to <target.yml>`: moves the stopped store of this machine (its config: -c, as
 * `serve` reads it) to PostgreSQL and/or S3 (server/migrate). An operator's command, beside
 * `serve`: it runs where the store's data folder is, not against a store's address.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { failure } from '../errors.js';

export function registerMigrate(program: Command, ctx: Context): void {
  program
    .command('migrate')
    .description(
      "move this machine's stopped store (SQLite + fs) to PostgreSQL and/or S3, as a second config file names them",
    )
    .requiredOption(
      '--to <file>',
      'the config the store runs with afterwards: database.url and/or storage.driver: s3 (read as written, no APPSHELF_* overrides)',
    )
    .option(
      '-c, --config <file>',
      'the config the store runs with now (default: APPSHELF_CONFIG, else ./config.yml when present)',
    )
    .action(async (opts: { to: string; config?: string }) => {
      const file =
        opts.config ??
        ctx.io.env.APPSHELF_CONFIG ??
        (existsSync('config.yml') ? 'config.yml' : undefined);
      // Loaded only here: the other commands never pull in the server.
      const { ConfigError, loadConfig } = await import('../../server/config.js');
      const { MigrationError, migrateStore } = await import('../../server/migrate/index.js');
      const read = (path: string | undefined, env: NodeJS.ProcessEnv, which: string) => {
        try {
          return loadConfig(path, env);
        } catch (err) {
          if (err instanceof ConfigError) throw failure(`${which}: ${err.message}`, undefined, err);
          throw err;
        }
      };
      const source = read(file, ctx.io.env, `the store's config (${file ?? 'defaults'})`);
      const target = read(opts.to, {}, `the target config (${opts.to})`);
      try {
        const summary = await migrateStore({ source, target, progress: (l) => ctx.io.err(l) });
        for (const line of summary.lines) ctx.io.out(line);
      } catch (err) {
        if (err instanceof MigrationError) throw failure(err.message, undefined, err);
        throw err;
      }
    });
}
