/**
 * The mirrored app rows on PostgreSQL: the same statements on the `*.pg.ts` tables. A unit of
 * work that reads and then writes an app's versions or packages locks the app row first
 * (`FOR UPDATE`), as the store's own app repository does (app-pg.ts), so a package change by the
 * store and a listing write by the mirror run one after the other.
 */
import { and, eq, inArray, isNotNull, isNull, notInArray } from 'drizzle-orm';
import { ADMIN_NAME } from '../auth/bootstrap.js';
import type { PgDb } from '../db/store-database.js';
import { users } from '../db/schema.pg.js';
import { apps, packages, versions } from '../db/store-schema.pg.js';
import type { AppRow, PackageRow } from '../store/app-repository.js';
import type {
  ListingFields,
  MirroredAppRepository,
  WantedPackage,
} from './mirrored-app-repository.js';

type Tx = Parameters<Parameters<PgDb['transaction']>[0]>[0];

async function lockApp(tx: Tx, id: number): Promise<boolean> {
  const rows = await tx.select({ id: apps.id }).from(apps).where(eq(apps.id, id)).for('update');
  return rows.length > 0;
}

export class PgMirroredAppRepository implements MirroredAppRepository {
  constructor(private readonly db: PgDb) {}

  async adminId(): Promise<number | undefined> {
    const [row] = await this.db
      .select({ id: users.id })
      .from(users)
      .where(eq(users.name, ADMIN_NAME));
    return row?.id;
  }

  async markMirrored(
    appId: number,
    upstream: string,
    url: string,
    updatedAt: number,
  ): Promise<AppRow | undefined> {
    const [row] = await this.db
      .update(apps)
      .set({ mirrorUpstream: upstream, mirrorUrl: url, updatedAt })
      .where(eq(apps.id, appId))
      .returning();
    return row;
  }

  async release(configured: readonly string[]): Promise<string[]> {
    const rows = await this.db
      .update(apps)
      .set({ mirrorUpstream: null, mirrorUrl: null })
      .where(and(isNotNull(apps.mirrorUpstream), notInArray(apps.mirrorUpstream, [...configured])))
      .returning({ namespace: apps.namespace, name: apps.name });
    return rows.map((a) => `${a.namespace}/${a.name}`);
  }

  async reconcile(
    appId: number,
    present: readonly string[],
    now: number,
    prune: boolean,
  ): Promise<string[]> {
    return this.db.transaction(async (tx) => {
      if (!(await lockApp(tx, appId))) return [];
      await tx
        .update(versions)
        .set({ upstreamDeletedAt: null })
        .where(
          and(
            eq(versions.appId, appId),
            inArray(versions.version, [...present]),
            isNotNull(versions.upstreamDeletedAt),
          ),
        );
      const gone = (
        await tx
          .select({ version: versions.version })
          .from(versions)
          .where(and(eq(versions.appId, appId), notInArray(versions.version, [...present])))
      ).map((v) => v.version);
      if (!prune && gone.length > 0)
        await tx
          .update(versions)
          .set({ upstreamDeletedAt: now })
          .where(
            and(
              eq(versions.appId, appId),
              inArray(versions.version, gone),
              isNull(versions.upstreamDeletedAt),
            ),
          );
      return gone;
    });
  }

  async readyVersions(appId: number): Promise<string[]> {
    const rows = await this.db
      .select({ version: versions.version })
      .from(versions)
      .where(and(eq(versions.appId, appId), eq(versions.state, 'ready')));
    return rows.map((v) => v.version);
  }

  async packagesOf(appId: number): Promise<PackageRow[]> {
    return this.db.select().from(packages).where(eq(packages.appId, appId));
  }

  async writeListing(
    appId: number,
    fields: ListingFields,
    wanted: readonly WantedPackage[],
    now: number,
  ): Promise<void> {
    await this.db.transaction(async (tx) => {
      if (!(await lockApp(tx, appId))) return;
      await tx
        .update(apps)
        .set({ ...fields, updatedAt: now })
        .where(eq(apps.id, appId));
      const names = wanted.map((p) => p.name);
      const current = await tx.select().from(packages).where(eq(packages.appId, appId));
      const stale = current.filter((p) => !names.includes(p.name)).map((p) => p.id);
      if (stale.length > 0) await tx.delete(packages).where(inArray(packages.id, stale));
      for (const p of wanted) {
        const row = current.find((c) => c.name === p.name);
        if (row)
          await tx
            .update(packages)
            .set({ versions: JSON.stringify(p.versions) })
            .where(eq(packages.id, row.id));
        else
          await tx.insert(packages).values({
            appId,
            name: p.name,
            type: p.type,
            versions: JSON.stringify(p.versions),
            createdAt: now,
          });
      }
    });
  }
}
