/**
 * An app and its versions as rows, on either engine, for the tests of one repository: the
 * store's own services (AppService, VersionIndex) are not needed to have something to count.
 */
import { eq } from 'drizzle-orm';
import type { StoreDatabase } from '../../server/db/store-database.js';
import * as lite from '../../server/db/store-schema.js';
import * as pg from '../../server/db/store-schema.pg.js';

export async function seedApp(
  store: StoreDatabase,
  namespace: string,
  name: string,
  versions: { version: string; digest: string }[],
): Promise<{ appId: number; versionIds: number[] }> {
  const app = {
    appKey: `${namespace}-${name}`,
    namespace,
    name,
    createdAt: 1,
    updatedAt: 1,
  };
  const rows = (appId: number) =>
    versions.map((v) => ({
      appId,
      version: v.version,
      state: 'draft' as const,
      manifestDigest: v.digest,
      templateDigest: v.digest,
      template: '{}',
      createdAt: 1,
      updatedAt: 1,
    }));
  if (store.dialect === 'sqlite') {
    const { id } = store.db.insert(lite.apps).values(app).returning({ id: lite.apps.id }).get();
    const ids = versions.length
      ? store.db.insert(lite.versions).values(rows(id)).returning({ id: lite.versions.id }).all()
      : [];
    return { appId: id, versionIds: ids.map((r) => r.id) };
  }
  const [inserted] = await store.db.insert(pg.apps).values(app).returning({ id: pg.apps.id });
  const id = inserted!.id;
  const ids = versions.length
    ? await store.db.insert(pg.versions).values(rows(id)).returning({ id: pg.versions.id })
    : [];
  return { appId: id, versionIds: ids.map((r) => r.id) };
}

/** `versions.last_used_at` of a version (null when never used). */
export async function lastUsedAt(store: StoreDatabase, versionId: number): Promise<number | null> {
  if (store.dialect === 'sqlite')
    return (
      store.db
        .select({ at: lite.versions.lastUsedAt })
        .from(lite.versions)
        .where(eq(lite.versions.id, versionId))
        .get()?.at ?? null
    );
  const [row] = await store.db
    .select({ at: pg.versions.lastUsedAt })
    .from(pg.versions)
    .where(eq(pg.versions.id, versionId));
  return row?.at ?? null;
}
