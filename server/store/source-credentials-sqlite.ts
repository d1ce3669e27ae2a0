/** Kept source credentials on SQLite (source-credential-repository.ts): the queries as they were. */
import { and, eq } from 'drizzle-orm';
import type { SourceCredential } from '../../schemas/source-credentials.js';
import type { SqliteDb } from '../db/store-database.js';
import { sourceCredentials } from '../db/store-schema.js';
import {
  keptRows,
  type KeptCredential,
  type SourceCredentialRepository,
} from './source-credential-repository.js';

export function sqliteSourceCredentials(db: SqliteDb): SourceCredentialRepository & {
  /** The synchronous read the image sync still makes (package G ports it). */
  forComponentNow(versionId: number, serviceKey: string): KeptCredential | undefined;
  keepNow(versionId: number, found: readonly SourceCredential[], now: number): void;
} {
  function keepNow(versionId: number, found: readonly SourceCredential[], now: number): void {
    db.transaction((tx) => {
      tx.delete(sourceCredentials).where(eq(sourceCredentials.versionId, versionId)).run();
      for (const row of keptRows(versionId, found, now))
        tx.insert(sourceCredentials).values(row).run();
    });
  }
  function forComponentNow(versionId: number, serviceKey: string): KeptCredential | undefined {
    return db
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
      )
      .get();
  }
  return {
    keepNow,
    forComponentNow,
    keep: async (versionId, found, now) => keepNow(versionId, found, now),
    forComponent: async (versionId, serviceKey) => forComponentNow(versionId, serviceKey),
  };
}
