/** `admin gc`, `admin reindex`, `admin quota set`: store administration (admins only). */
import { InvalidArgumentError, type Command } from 'commander';
import type { Context } from '../context.js';
import { BYTE_SIZE_RULE, parseByteSize } from '../../schemas/byte-size.js';
import { bytes, json } from '../format.js';

interface GcReport {
  dryRun: boolean;
  manifestsDeleted: number;
  blobsDeleted: number;
  uploadsDeleted: number;
  orphanFilesDeleted: number;
  bytesFreed: number;
  durationMs: number;
}

/** POST /api/v1/admin/reindex (server/store/reindex.ts). */
interface ReindexReport {
  apps: number;
  versions: number;
  components: number;
  skipped: { repository: string; tag: string; reason: string }[];
}

/** GET/PUT usage under a quota (server/governance/quotas.ts). */
interface NamespaceUsage {
  usedBytes: number;
  limitBytes: number;
  warnBytes: number;
}

/** `10GiB`, `500MB`, `0` (no limit) → bytes; commander's argument parser. */
export function parseSize(text: string): number {
  const n = parseByteSize(text);
  if (n === undefined) throw new InvalidArgumentError(BYTE_SIZE_RULE);
  return n;
}

export function registerAdmin(program: Command, ctx: Context): void {
  const admin = program.command('admin').description('store administration (needs an admin key)');
  admin
    .command('gc')
    .description('delete unreferenced manifests, blobs and stale uploads from the registry')
    .option('--dry-run', 'only report what would be deleted')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { dryRun?: boolean; json?: boolean }) => {
      const api = await ctx.api(await ctx.store(), 'required');
      const report = await api.post<GcReport>('/admin/gc', {
        query: { dryRun: opts.dryRun === true },
      });
      if (opts.json) return ctx.io.out(json(report));
      const verb = report.dryRun ? 'would delete' : 'deleted';
      ctx.io.out(
        `gc ${verb} ${report.manifestsDeleted} manifests, ${report.blobsDeleted} blobs, ${report.uploadsDeleted} uploads, ` +
          `${report.orphanFilesDeleted} orphan files (${bytes(report.bytesFreed)}) in ${report.durationMs} ms`,
      );
    });

  const quota = admin.command('quota').description("namespaces' storage quotas");
  quota
    .command('set <namespace>')
    .description('set the storage quota of a namespace (a user or an organisation); 0: no limit')
    .requiredOption('--limit <size>', 'hard limit (10GiB, 500MB; 0: none)', parseSize)
    .option(
      '--warn <size>',
      'warning level: passing it sends quota_warning (0: none)',
      parseSize,
      0,
    )
    .option('--json', 'print the usage as JSON')
    .action(async (namespace: string, opts: { limit: number; warn: number; json?: boolean }) => {
      const api = await ctx.api(await ctx.store(), 'required');
      const usage = await api.put<NamespaceUsage>(
        `/admin/quotas/${encodeURIComponent(namespace)}`,
        { body: { limitBytes: opts.limit, warnBytes: opts.warn } },
      );
      if (opts.json) return ctx.io.out(json(usage));
      ctx.io.out(
        `${namespace}: ${bytes(usage.usedBytes)} used` +
          (usage.limitBytes ? ` of ${bytes(usage.limitBytes)}` : ', no limit') +
          (usage.warnBytes ? `, warning at ${bytes(usage.warnBytes)}` : ''),
      );
    });

  admin
    .command('reindex')
    .description("rebuild the store's apps, versions and components from what the registry holds")
    .option('--json', 'print the report as JSON')
    .action(async (opts: { json?: boolean }) => {
      const api = await ctx.api(await ctx.store(), 'required');
      const report = await api.post<ReindexReport>('/admin/reindex');
      if (opts.json) return ctx.io.out(json(report));
      for (const s of report.skipped) ctx.io.err(`skipped ${s.repository}:${s.tag} (${s.reason})`);
      ctx.io.out(
        `reindexed ${report.apps} apps, ${report.versions} versions, ${report.components} components; skipped ${report.skipped.length} tags`,
      );
    });
}
