/**
 * Kept source credentials on PostgreSQL (source-credential-repository.ts). `keep` replaces the
 * version's rows in one transaction holding the version row's lock, so two keeps of one version
 * (or a keep and a push under that version, which updates the row) run one after the other and
 * the rows left are one keep's, never a mix.
 */
import { and, eq } from 'drizzle-orm';
import type { PgDb } from '../db/store-database.js';
import { sourceCredentials, versions } from '../db/store-schema.pg.js';
import { keptRows, type SourceCredentialRepository } from './source-credential-repository.js';

export function pgSourceCredentials(db: PgDb): SourceCredentialRepository {
  return {
    async keep(versionId, found, now) {
      const rows = keptRows(versionId, found, now);
      await db.transaction(async (tx) => {
        const [version] = await tx
          .select({ id: versions.id })
          .from(versions)
          .where(eq(versions.id, versionId))
          .for('update');
        if (!version) return; // removed meanwhile: its credentials went with it
        await tx.delete(sourceCredentials).where(eq(sourceCredentials.versionId, versionId));
        if (rows.length > 0) await tx.insert(sourceCredentials).values(rows);
      });
    },
    async forComponent(versionId, serviceKey) {
      const [row] = await db
        .select({
          hubUrl: sourceCredentials.hubUrl,
          username: sourceCredentials.username,
          password: sourceCredentials.password,
        })
        .from(sourceCredentials)
        .where(
          and(
            eq(sourceCredentials.versionId, versionId),
            eq(sourceCredentials.serviceKey, serviceKey),
          ),
        );
      return row;
    },
  };
}
