import { and, asc, eq, inArray, lte } from 'drizzle-orm';
import type { SqliteDb } from '../db/store-database.js';
import { accessKeys, users } from '../db/schema.js';
import { apps, pullCredentials } from '../db/store-schema.js';
import { overCap, type PullCredentialRepository } from './pull-credential-repository.js';

export function sqlitePullCredentials(db: SqliteDb): PullCredentialRepository {
  return {
    issue: async (credential, cap) => {
      const ofKeyAndApp = and(
        eq(pullCredentials.accessKeyId, credential.accessKeyId),
        eq(pullCredentials.appId, credential.appId),
      );
      db.transaction((tx) => {
        tx.delete(pullCredentials)
          .where(lte(pullCredentials.expiresAt, credential.createdAt))
          .run();
        const live = tx
          .select({ id: pullCredentials.id })
          .from(pullCredentials)
          .where(ofKeyAndApp)
          .orderBy(asc(pullCredentials.id))
          .all();
        const dropped = overCap(live, cap);
        if (dropped.length > 0)
          tx.delete(pullCredentials)
            .where(
              inArray(
                pullCredentials.id,
                dropped.map((d) => d.id),
              ),
            )
            .run();
        tx.update(pullCredentials)
          .set({ expiresAt: credential.expiresAt })
          .where(ofKeyAndApp)
          .run();
        tx.insert(pullCredentials).values(credential).run();
      });
    },
    byPrefix: async (prefix) =>
      db
        .select({ credential: pullCredentials, key: accessKeys, user: users, appKey: apps.appKey })
        .from(pullCredentials)
        .innerJoin(accessKeys, eq(accessKeys.id, pullCredentials.accessKeyId))
        .innerJoin(users, eq(users.id, accessKeys.userId))
        .innerJoin(apps, eq(apps.id, pullCredentials.appId))
        .where(eq(pullCredentials.prefix, prefix))
        .all(),
  };
}
