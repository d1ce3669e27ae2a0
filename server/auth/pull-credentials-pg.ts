import { and, asc, eq, inArray, lte } from 'drizzle-orm';
import type { PgDb } from '../db/store-database.js';
import { accessKeys, users } from '../db/schema.pg.js';
import { apps, pullCredentials } from '../db/store-schema.pg.js';
import { overCap, type PullCredentialRepository } from './pull-credential-repository.js';

export function pgPullCredentials(db: PgDb): PullCredentialRepository {
  return {
    issue: (credential, cap) =>
      db.transaction(async (tx) => {
        // The key's row orders this key's issues: SQLite's single writer did it for free.
        await tx
          .select({ id: accessKeys.id })
          .from(accessKeys)
          .where(eq(accessKeys.id, credential.accessKeyId))
          .for('update');
        const ofKeyAndApp = and(
          eq(pullCredentials.accessKeyId, credential.accessKeyId),
          eq(pullCredentials.appId, credential.appId),
        );
        await tx
          .delete(pullCredentials)
          .where(lte(pullCredentials.expiresAt, credential.createdAt));
        const live = await tx
          .select({ id: pullCredentials.id })
          .from(pullCredentials)
          .where(ofKeyAndApp)
          .orderBy(asc(pullCredentials.id));
        const dropped = overCap(live, cap);
        if (dropped.length > 0)
          await tx.delete(pullCredentials).where(
            inArray(
              pullCredentials.id,
              dropped.map((d) => d.id),
            ),
          );
        await tx
          .update(pullCredentials)
          .set({ expiresAt: credential.expiresAt })
          .where(ofKeyAndApp);
        await tx.insert(pullCredentials).values(credential);
      }),
    byPrefix: (prefix) =>
      db
        .select({ credential: pullCredentials, key: accessKeys, user: users, appKey: apps.appKey })
        .from(pullCredentials)
        .innerJoin(accessKeys, eq(accessKeys.id, pullCredentials.accessKeyId))
        .innerJoin(users, eq(users.id, accessKeys.userId))
        .innerJoin(apps, eq(apps.id, pullCredentials.appId))
        .where(eq(pullCredentials.prefix, prefix)),
  };
}
