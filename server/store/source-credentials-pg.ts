/**
 * Kept source credentials on PostgreSQL (source-credential-repository.ts). `keep` replaces the
 * version's rows in one transaction; two keeps of one version at once are ordered by the rows'
 * primary key (the second insert waits for the first transaction, then its delete sees them).
 */
import { and, eq } from 'drizzle-orm';
import type { PgDb } from '../db/store-database.js';
import { sourceCredentials } from '../db/store-schema.pg.js';
import { keptRows, type SourceCredentialRepository } from './source-credential-repository.js';

export function pgSourceCredentials(db: PgDb): SourceCredentialRepository {
  return {
    async keep(versionId, found, now) {
      const rows = keptRows(versionId, found, now);
      await db.transaction(async (tx) => {
        await tx.delete(sourceCredentials).where(eq(sourceCredentials.versionId, versionId));
        if (rows.length > 0) await tx.insert(sourceCredentials).values(rows).onConflictDoNothing();
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
