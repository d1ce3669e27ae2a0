/**
 * The rows a sync job works on, on PostgreSQL: the same queries through drizzle node-postgres.
 * Nothing here reads then writes a row, so no lock is needed (`failSyncing` is one statement).
 */
import { and, asc, eq } from 'drizzle-orm';
import type { PgDb } from '../../db/store-database.js';
import { apps, components, sourceCredentials, versions } from '../../db/store-schema.pg.js';
import type { AppRow, VersionRow } from '../app-repository.js';
import type { KeptCredential } from '../kept-credentials.js';
import type { BoundComponent, SyncTarget, SyncTargetRepository } from './sync-target-repository.js';

export class PgSyncTargetRepository implements SyncTargetRepository {
  constructor(private readonly db: PgDb) {}

  async find(
    namespace: string,
    name: string,
    version: string,
  ): Promise<{ app: AppRow | undefined; version: VersionRow | undefined }> {
    const [app] = await this.db
      .select()
      .from(apps)
      .where(and(eq(apps.namespace, namespace), eq(apps.name, name)));
    if (!app) return { app, version: undefined };
    const [row] = await this.db
      .select()
      .from(versions)
      .where(and(eq(versions.appId, app.id), eq(versions.version, version)));
    return { app, version: row };
  }

  async byVersionId(versionId: number): Promise<SyncTarget | undefined> {
    const [row] = await this.db
      .select({ app: apps, version: versions })
      .from(versions)
      .innerJoin(apps, eq(apps.id, versions.appId))
      .where(eq(versions.id, versionId));
    return row;
  }

  components(versionId: number): Promise<BoundComponent[]> {
    return this.db
      .select({ serviceKey: components.serviceKey, sourceRef: components.sourceRef })
      .from(components)
      .where(eq(components.versionId, versionId))
      .orderBy(asc(components.serviceKey));
  }

  async setVersionState(versionId: number, state: 'syncing' | 'failed'): Promise<void> {
    await this.db.update(versions).set({ state }).where(eq(versions.id, versionId));
  }

  async failSyncing(versionId: number): Promise<void> {
    await this.db
      .update(versions)
      .set({ state: 'failed' })
      .where(and(eq(versions.id, versionId), eq(versions.state, 'syncing')));
  }

  async keptCredential(versionId: number, serviceKey: string): Promise<KeptCredential | undefined> {
    const [row] = await this.db
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
  }
}
