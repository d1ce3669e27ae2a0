/** `admin gc`, `admin reindex`: store administration (admins only). */
import type { Command } from 'commander';
import type { Context } from '../context.js';
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
