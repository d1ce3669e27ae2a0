/** `login`, `logout`, `whoami`: access keys for a store, kept in the settings file. */
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { usage } from '../errors.js';
import { json } from '../format.js';
import { StoreApi } from '../store-api.js';

/** GET /api/v1/users/me, as far as the CLI reads it. */
export interface Me {
  name: string;
  role?: string;
  namespaces?: unknown[];
}

export function registerAuth(program: Command, ctx: Context): void {
  program
    .command('login <store>')
    .description('verify an access key with the store and keep it for later commands')
    .option('--key <key>', 'the access key (visible in the process list: prefer --key-stdin)')
    .option('--key-stdin', 'read the access key from stdin')
    .option('--no-default', 'do not make this the default store')
    .option('--json', 'print the result as JSON')
    .action(
      async (
        storeArg: string,
        opts: { key?: string; keyStdin?: boolean; default: boolean; json?: boolean },
      ) => {
        if ((opts.key === undefined) === (opts.keyStdin !== true))
          throw usage(
            'give exactly one of --key <key> and --key-stdin',
            'e.g. echo "$KEY" | appshelf login <store> --key-stdin',
          );
        const key = (opts.key ?? (await ctx.io.readStdin())).trim();
        if (!key)
          throw usage(
            'the access key is empty',
            'create one in the store (or with "appshelf keys create") and pass it',
          );
        const store = await ctx.store(storeArg);
        const me = await new StoreApi(store, key).get<Me>('/users/me');
        const settings = await ctx.settings();
        const makeDefault = opts.default || settings.defaultStore === undefined;
        await ctx.saveSettings({
          ...settings,
          ...(makeDefault ? { defaultStore: store.host } : {}),
          stores: { ...settings.stores, [store.host]: { url: store.url, username: me.name, key } },
        });
        if (opts.json)
          ctx.io.out(
            json({
              store: store.host,
              url: store.url,
              username: me.name,
              role: me.role,
              default: makeDefault,
            }),
          );
        else
          ctx.io.out(
            `logged in to ${store.host} as ${me.name}${makeDefault ? ' (default store)' : ''}`,
          );
      },
    );

  program
    .command('logout [store]')
    .description(
      'forget the access key kept for a store (the key itself stays valid: revoke it with "appshelf keys revoke")',
    )
    .option('--json', 'print the result as JSON')
    .action(async (storeArg: string | undefined, opts: { json?: boolean }) => {
      const store = await ctx.store(storeArg);
      const settings = await ctx.settings();
      if (!settings.stores[store.host]) {
        if (opts.json) ctx.io.out(json({ store: store.host, loggedOut: false }));
        else ctx.io.err(`not logged in to ${store.host}`);
        return;
      }
      const { [store.host]: _gone, ...stores } = settings.stores;
      const { defaultStore, ...rest } = settings;
      await ctx.saveSettings({
        ...rest,
        ...(defaultStore !== undefined && defaultStore !== store.host ? { defaultStore } : {}),
        stores,
      });
      ctx.io.out(
        opts.json ? json({ store: store.host, loggedOut: true }) : `logged out of ${store.host}`,
      );
    });

  program
    .command('whoami')
    .description('show who the kept access key signs in as')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }) => {
      const store = await ctx.store();
      const me = await (await ctx.api(store, 'required')).get<Me>('/users/me');
      if (opts.json) ctx.io.out(json({ store: store.host, ...me }));
      else ctx.io.out(`${me.name} on ${store.host}${me.role ? ` (${me.role})` : ''}`);
    });
}
