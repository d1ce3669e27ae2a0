/** The rows a sync job works on, on SQLite: today's synchronous queries, settled promises. */
import { and, asc, eq } from 'drizzle-orm';
import { settle } from '../../db/settle.js';
import type { SqliteDb } from '../../db/store-database.js';
import { apps, components, sourceCredentials, versions } from '../../db/store-schema.js';
import type { AppRow, VersionRow } from '../app-repository.js';
import type { KeptCredential } from '../kept-credentials.js';
import type { BoundComponent, SyncTarget, SyncTargetRepository } from './sync-target-repository.js';

export class SqliteSyncTargetRepository implements SyncTargetRepository {
  constructor(private readonly db: SqliteDb) {}

  find(
    namespace: string,
    name: string,
    version: string,
  ): Promise<{ app: AppRow | undefined; version: VersionRow | undefined }> {
    return settle(() => {
      const app = this.db
        .select()
        .from(apps)
        .where(and(eq(apps.namespace, namespace), eq(apps.name, name)))
        .get();
      const row =
        app &&
        this.db
          .select()
          .from(versions)
          .where(and(eq(versions.appId, app.id), eq(versions.version, version)))
          .get();
      return { app, version: row };
    });
  }

  byVersionId(versionId: number): Promise<SyncTarget | undefined> {
    return settle(() => {
      const version = this.db.select().from(versions).where(eq(versions.id, versionId)).get();
      if (!version) return undefined;
      const app = this.db.select().from(apps).where(eq(apps.id, version.appId)).get();
      return app && { app, version };
    });
  }

  components(versionId: number): Promise<BoundComponent[]> {
    return settle(() =>
      this.db
        .select({ serviceKey: components.serviceKey, sourceRef: components.sourceRef })
        .from(components)
        .where(eq(components.versionId, versionId))
        .orderBy(asc(components.serviceKey))
        .all(),
    );
  }

  setVersionState(versionId: number, state: 'syncing' | 'failed'): Promise<void> {
    return settle(() => {
      this.db.update(versions).set({ state }).where(eq(versions.id, versionId)).run();
    });
  }

  failSyncing(versionId: number): Promise<void> {
    return settle(() => {
      this.db
        .update(versions)
        .set({ state: 'failed' })
        .where(and(eq(versions.id, versionId), eq(versions.state, 'syncing')))
        .run();
    });
  }

  keptCredential(versionId: number, serviceKey: string): Promise<KeptCredential | undefined> {
    return settle(() =>
      this.db
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
        .get(),
    );
  }
}
