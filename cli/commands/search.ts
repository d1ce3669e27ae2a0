/** `search <words>`: the store's full-text search (GET /api/v1/search). */
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { usage } from '../errors.js';
import { json, table } from '../format.js';

interface SearchItem {
  namespace: string;
  name: string;
  displayName: string;
  summary: string;
  latestVersion: string | null;
  installs: number;
}

interface SearchResult {
  items: SearchItem[];
  total: number;
  page: number;
  pageSize: number;
}

const positive =
  (name: string) =>
  (text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1)
      throw usage(`${name} must be a whole number from 1`, `e.g. ${name} 2`);
    return n;
  };

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function registerSearch(program: Command, ctx: Context): void {
  program
    .command('search [words...]')
    .description('search the apps on the shelf (and, signed in, your own)')
    .option('--tag <tag>', 'only apps with this tag (repeatable)', collect)
    .option('--category <category>', 'only apps in this category (repeatable)', collect)
    .option('--publisher <namespace>', 'only apps of this namespace')
    .option('--arch <arch>', 'only apps with a version for this architecture')
    .option('--sort <order>', 'relevance, installs or updated')
    .option('--page <n>', 'page number', positive('--page'))
    .option('--page-size <n>', 'results per page (at most 100)', positive('--page-size'))
    .option('--json', 'print the result as JSON')
    .action(
      async (
        words: string[],
        opts: {
          tag?: string[];
          category?: string[];
          publisher?: string;
          arch?: string;
          sort?: string;
          page?: number;
          pageSize?: number;
          json?: boolean;
        },
      ) => {
        const store = await ctx.store();
        const api = await ctx.api(store, 'optional');
        const result = await api.get<SearchResult>('/search', {
          query: {
            q: words.join(' '),
            tag: opts.tag,
            category: opts.category,
            publisher: opts.publisher,
            arch: opts.arch,
            sort: opts.sort,
            page: opts.page,
            pageSize: opts.pageSize,
          },
        });
        if (opts.json) return ctx.io.out(json(result));
        if (result.items.length === 0) return ctx.io.err(`no apps found on ${store.host}`);
        const rows = result.items.map((i) => [
          `${i.namespace}/${i.name}`,
          i.latestVersion ?? '-',
          String(i.installs),
          i.summary || i.displayName,
        ]);
        for (const line of table(['APP', 'VERSION', 'INSTALLS', 'SUMMARY'], rows)) ctx.io.out(line);
        const first = (result.page - 1) * result.pageSize + 1;
        if (result.total > result.items.length)
          ctx.io.err(
            `${first}–${first + result.items.length - 1} of ${result.total}; --page ${result.page + 1} for more`,
          );
      },
    );
}
