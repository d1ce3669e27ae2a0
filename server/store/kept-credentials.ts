/**
 * The source registry credentials a draft's template named for its components
 * (schemas/source-credentials.ts), kept in `source_credentials` for the image sync and nothing
 * else: the template is stored with them blanked. VersionIndex drops a version's rows whenever a
 * new template or bundle lands under it, so publishing (the bundle) ends them.
 */
import { and, eq } from 'drizzle-orm';
import type { SourceCredential } from '../../schemas/source-credentials.js';
import type { Db } from '../db/open-database.js';
import { sourceCredentials } from '../db/store-schema.js';

export interface KeptCredential {
  /** The registry they are for, as the template's `hub_url` names it ('' for any). */
  hubUrl: string;
  username: string;
  password: string;
}

export class KeptCredentials {
  constructor(
    private readonly db: Db,
    private readonly clock: () => number,
  ) {}

  /** Keeps the components' credentials of `found` for the version, replacing what it had. */
  keep(versionId: number, found: readonly SourceCredential[]): void {
    const now = this.clock();
    this.db.transaction((tx) => {
      tx.delete(sourceCredentials).where(eq(sourceCredentials.versionId, versionId)).run();
      for (const c of found) {
        if (c.kind !== 'component' || c.user === '') continue;
        tx.insert(sourceCredentials)
          .values({
            versionId,
            serviceKey: c.key,
            hubUrl: c.hubUrl,
            username: c.user,
            password: c.password,
            createdAt: now,
          })
          .onConflictDoNothing()
          .run();
      }
    });
  }

  forComponent(versionId: number, serviceKey: string): KeptCredential | undefined {
    return this.db
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
}
