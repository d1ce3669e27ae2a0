/** `admin gc`: store administration (admins only). */
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

export function registerAdmin(program: Command, ctx: Context): void {
  const admin = program.command('admin').description('store administration (needs an admin key)');
  admin
    .command('gc')
    .description('delete unreferenced manifests, blobs and stale uploads from the registry')
    .option('--dry-run', 'only report what would be deleted')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { dryRun?: boolean; json?: boolean }) => {
      const api = await ctx.api(await ctx.store(), 'required');
      const report = await api.post<GcReport>('/admin/gc', { query: { dryRun: opts.dryRun === true } });
      if (opts.json) return ctx.io.out(json(report));
      const verb = report.dryRun ? 'would delete' : 'deleted';
      ctx.io.out(
        `gc ${verb} ${report.manifestsDeleted} manifests, ${report.blobsDeleted} blobs, ${report.uploadsDeleted} uploads, ` +
          `${report.orphanFilesDeleted} orphan files (${bytes(report.bytesFreed)}) in ${report.durationMs} ms`,
      );
    });
}
