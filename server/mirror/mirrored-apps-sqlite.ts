/**
 * The mirrored app rows on SQLite: today's statements, synchronous underneath, each unit of work
 * one better-sqlite3 transaction.
 */
import { and, eq, inArray, isNotNull, isNull, notInArray } from 'drizzle-orm';
import { ADMIN_NAME } from '../auth/bootstrap.js';
import { settle } from '../db/settle.js';
import type { SqliteDb } from '../db/store-database.js';
import { users } from '../db/schema.js';
import { apps, packages, versions } from '../db/store-schema.js';
import type { AppRow, PackageRow } from '../store/app-repository.js';
import type {
  ListingFields,
  MirroredAppRepository,
  WantedPackage,
} from './mirrored-app-repository.js';

export class SqliteMirroredAppRepository implements MirroredAppRepository {
  constructor(private readonly db: SqliteDb) {}

  adminId(): Promise<number | undefined> {
    return settle(
      () =>
        this.db.select({ id: users.id }).from(users).where(eq(users.name, ADMIN_NAME)).get()?.id,
    );
  }

  markMirrored(
    appId: number,
    upstream: string,
    url: string,
    updatedAt: number,
  ): Promise<AppRow | undefined> {
    return settle(() =>
      this.db
        .update(apps)
        .set({ mirrorUpstream: upstream, mirrorUrl: url, updatedAt })
        .where(eq(apps.id, appId))
        .returning()
        .get(),
    );
  }

  release(configured: readonly string[]): Promise<string[]> {
    return settle(() =>
      this.db
        .update(apps)
        .set({ mirrorUpstream: null, mirrorUrl: null })
        .where(
          and(isNotNull(apps.mirrorUpstream), notInArray(apps.mirrorUpstream, [...configured])),
        )
        .returning({ namespace: apps.namespace, name: apps.name })
        .all()
        .map((a) => `${a.namespace}/${a.name}`),
    );
  }

  reconcile(
    appId: number,
    present: readonly string[],
    now: number,
    prune: boolean,
  ): Promise<string[]> {
    return settle(() =>
      this.db.transaction((tx) => {
        tx.update(versions)
          .set({ upstreamDeletedAt: null })
          .where(
            and(
              eq(versions.appId, appId),
              inArray(versions.version, [...present]),
              isNotNull(versions.upstreamDeletedAt),
            ),
          )
          .run();
        const gone = tx
          .select({ version: versions.version })
          .from(versions)
          .where(and(eq(versions.appId, appId), notInArray(versions.version, [...present])))
          .all()
          .map((v) => v.version);
        if (!prune && gone.length > 0)
          tx.update(versions)
            .set({ upstreamDeletedAt: now })
            .where(
              and(
                eq(versions.appId, appId),
                inArray(versions.version, gone),
                isNull(versions.upstreamDeletedAt),
              ),
            )
            .run();
        return gone;
      }),
    );
  }

  readyVersions(appId: number): Promise<string[]> {
    return settle(() =>
      this.db
        .select({ version: versions.version })
        .from(versions)
        .where(and(eq(versions.appId, appId), eq(versions.state, 'ready')))
        .all()
        .map((v) => v.version),
    );
  }

  packagesOf(appId: number): Promise<PackageRow[]> {
    return settle(() => this.db.select().from(packages).where(eq(packages.appId, appId)).all());
  }

  writeListing(
    appId: number,
    fields: ListingFields,
    wanted: readonly WantedPackage[],
    now: number,
  ): Promise<void> {
    return settle(() =>
      this.db.transaction((tx) => {
        tx.update(apps)
          .set({ ...fields, updatedAt: now })
          .where(eq(apps.id, appId))
          .run();
        const names = wanted.map((p) => p.name);
        const current = tx.select().from(packages).where(eq(packages.appId, appId)).all();
        const stale = current.filter((p) => !names.includes(p.name)).map((p) => p.id);
        if (stale.length > 0) tx.delete(packages).where(inArray(packages.id, stale)).run();
        for (const p of wanted) {
          const row = current.find((c) => c.name === p.name);
          if (row)
            tx.update(packages)
              .set({ versions: JSON.stringify(p.versions) })
              .where(eq(packages.id, row.id))
              .run();
          else
            tx.insert(packages)
              .values({
                appId,
                name: p.name,
                type: p.type,
                versions: JSON.stringify(p.versions),
                createdAt: now,
              })
              .run();
        }
      }),
    );
  }
}
