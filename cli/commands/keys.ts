/** `keys create|list|revoke`: the signed-in user's access keys (POST/GET/DELETE /api/v1/keys). */
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { usage } from '../errors.js';
import { json, table } from '../format.js';

export interface KeyInfo {
  id: number;
  name: string;
  prefix: string;
  scopes: string[];
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
}

const SCOPES = ['read', 'install', 'push'];

function parseScopes(text: string): string[] {
  const scopes = [
    ...new Set(
      text
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
  const bad = scopes.filter((s) => !SCOPES.includes(s));
  if (bad.length > 0 || scopes.length === 0)
    throw usage(
      `unknown scope ${bad.join(', ') || '(none)'}`,
      `use a comma-separated list of ${SCOPES.join(', ')}`,
    );
  return scopes;
}

/** An ISO date, or a number of days from now (`30d`). */
function parseExpiry(text: string, now: number): string {
  const days = /^(\d{1,5})d$/.exec(text);
  if (days) return new Date(now + Number(days[1]) * 86_400_000).toISOString();
  const at = Date.parse(text);
  if (Number.isNaN(at))
    throw usage(
      `"${text}" is not a date`,
      'write an ISO 8601 date with a zone (2027-01-01T00:00:00Z) or a number of days (30d)',
    );
  return new Date(at).toISOString();
}

export function registerKeys(program: Command, ctx: Context): void {
  const keys = program.command('keys').description('manage your access keys on the store');

  keys
    .command('create <name>')
    .description('create an access key; its secret is printed once, on stdout')
    .option('--scope <scopes>', `comma-separated: ${SCOPES.join(', ')}`, 'read,install')
    .option('--expires <when>', 'an ISO 8601 date or a number of days (30d); default: never')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, opts: { scope: string; expires?: string; json?: boolean }) => {
      const scopes = parseScopes(opts.scope);
      const expiresAt =
        opts.expires === undefined ? undefined : parseExpiry(opts.expires, Date.now());
      const api = await ctx.api(await ctx.store(), 'required');
      const created = await api.post<KeyInfo & { key: string }>('/keys', {
        body: { name, scopes, ...(expiresAt ? { expiresAt } : {}) },
      });
      if (opts.json) return ctx.io.out(json(created));
      ctx.io.err(
        `created key ${created.id} "${created.name}" (${created.scopes.join(', ')}); the secret below is shown only once:`,
      );
      ctx.io.out(created.key);
    });

  keys
    .command('list')
    .description('list your access keys (never their secrets)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }) => {
      const api = await ctx.api(await ctx.store(), 'required');
      const { keys: list } = await api.get<{ keys: KeyInfo[] }>('/keys');
      if (opts.json) return ctx.io.out(json(list));
      const day = (iso: string | null) => (iso ? iso.slice(0, 10) : '-');
      const rows = list.map((k) => [
        String(k.id),
        k.name,
        `${k.prefix}…`,
        k.scopes.join(','),
        day(k.createdAt),
        day(k.lastUsedAt),
        day(k.expiresAt),
      ]);
      for (const line of table(
        ['ID', 'NAME', 'PREFIX', 'SCOPES', 'CREATED', 'LAST USED', 'EXPIRES'],
        rows,
      ))
        ctx.io.out(line);
    });

  keys
    .command('revoke <key>')
    .description('revoke one of your keys, by id or by name; it stops working at once')
    .option('--json', 'print the result as JSON')
    .action(async (which: string, opts: { json?: boolean }) => {
      const api = await ctx.api(await ctx.store(), 'required');
      let id = /^\d+$/.test(which) ? Number(which) : undefined;
      if (id === undefined) {
        const { keys: list } = await api.get<{ keys: KeyInfo[] }>('/keys');
        const named = list.filter((k) => k.name === which);
        if (named.length !== 1)
          throw usage(
            named.length ? `${named.length} keys are named "${which}"` : `no key named "${which}"`,
            'revoke by id ("appshelf keys list" shows them)',
          );
        id = named[0]!.id;
      }
      await api.delete(`/keys/${id}`);
      ctx.io.out(opts.json ? json({ revoked: id }) : `revoked key ${id}`);
    });
}
