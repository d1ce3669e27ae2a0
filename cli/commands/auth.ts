/** `login`, `logout`, `whoami`: access keys for a store, kept in the settings file. */
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { usage } from '../errors.js';
import { json } from '../format.js';
import { hostname } from 'node:os';
import { StoreApi } from '../store-api.js';
import type { StoreAddress } from '../store-address.js';

/** GET /api/v1/users/me, as far as the CLI reads it. */
export interface Me {
  name: string;
  role?: string;
  namespaces?: unknown[];
}

export function registerAuth(program: Command, ctx: Context): void {
  program
    .command('login <store>')
    .description(
      'keep an access key for later commands: verify one (--key, --key-stdin), or sign in with a phone number and the code sent to it (--phone), which creates a key for this CLI',
    )
    .option(
      '--key <key>',
      'the access key (visible in the process list: prefer --key-stdin, or give no key option to be asked for it)',
    )
    .option('--key-stdin', 'read the access key from stdin, as docker login --password-stdin')
    .option(
      '--phone <number>',
      'sign in with this phone number (international form, +...); the code is asked for on stdin',
    )
    .option('--name <namespace>', 'with --phone, on first sign-in: the name (namespace) to take')
    .option('--no-default', 'do not make this the default store')
    .option('--json', 'print the result as JSON')
    .action(
      async (
        storeArg: string,
        opts: {
          key?: string;
          keyStdin?: boolean;
          phone?: string;
          name?: string;
          default: boolean;
          json?: boolean;
        },
      ) => {
        const ways = [opts.key !== undefined, opts.keyStdin === true, opts.phone !== undefined];
        if (ways.filter(Boolean).length > 1)
          throw usage(
            'give at most one of --key <key>, --key-stdin and --phone <number>',
            'e.g. echo "$KEY" | appshelf login <store> --key-stdin, or no option to be asked',
          );
        const store = await ctx.store(storeArg);
        const key = (
          opts.phone !== undefined
            ? await keyFromPhoneLogin(ctx, store, opts.phone, opts.name)
            : opts.keyStdin
              ? await ctx.io.readStdin()
              : (opts.key ?? (await ctx.io.readSecret(`access key for ${store.host}: `)))
        ).trim();
        if (!key)
          throw usage(
            'the access key is empty',
            'create one in the store (or with "appshelf keys create") and pass it',
          );
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

/**
 * Phone sign-in from the terminal: the store sends a code, the user types it, and the session it
 * opens creates an access key for this CLI (read, install, push). The CLI keeps the key, not the
 * session, and ends the session at once.
 */
async function keyFromPhoneLogin(
  ctx: Context,
  store: StoreAddress,
  phone: string,
  name: string | undefined,
): Promise<string> {
  const anonymous = new StoreApi(store, undefined);
  await anonymous.post('/auth/code', { body: { phone } });
  const code = (await ctx.io.readLine(`a code was sent to ${phone}; type it: `)).trim();
  if (!/^\d{6}$/.test(code))
    throw usage('the code is six digits', 'run the login again and type the code from the SMS');
  const session = await anonymous.post<{ token: string }>('/auth/login', {
    body: { phone, code, ...(name !== undefined ? { name } : {}) },
  });
  const signedIn = new StoreApi(store, session.token);
  const created = await signedIn.post<{ key: string }>('/keys', {
    body: {
      name: `appshelf CLI on ${hostname()}`.slice(0, 64),
      scopes: ['read', 'install', 'push'],
    },
  });
  await signedIn.post('/auth/logout').catch(() => undefined);
  return created.key;
}
