/**
 * The app repositories on PostgreSQL (app-repository.ts), through drizzle node-postgres. SQLite's
 * single writer ordered every read-then-write of an app's versions and packages; here each such
 * unit of work locks the app row first (`SELECT … FOR UPDATE`), so two pushes of one app, or a
 * push and a package change, run one after the other while other apps' go on in parallel.
 */
import { and, asc, desc, eq, inArray, isNotNull } from 'drizzle-orm';
import type { PgDb } from '../db/store-database.js';
import { namespaces } from '../db/schema.pg.js';
import { apps, components, packages, sourceCredentials, versions } from '../db/store-schema.pg.js';
import type {
  AppRef,
  AppRepositories,
  AppRepository,
  AppRow,
  ComponentTagChange,
  PackageRepository,
  RebuiltTags,
  VersionRepository,
  VersionUpsert,
} from './app-repository.js';
import { groupWithVersions } from './app-repository.js';
import { parseStrings } from './app-access.js';
import {
  componentRows,
  displayNameFromTemplate,
  overwriteTime,
  taggedImages,
  versionFields,
} from './version-rows.js';

type Tx = Parameters<Parameters<PgDb['transaction']>[0]>[0];

export function pgAppRepositories(db: PgDb): AppRepositories {
  return { apps: pgApps(db), versions: pgVersions(db), packages: pgPackages(db) };
}

const byRef = (ref: AppRef) => and(eq(apps.namespace, ref.namespace), eq(apps.name, ref.name));

/** Locks the app's row for the rest of the transaction; undefined when it is gone. */
async function lockApp(tx: Tx, id: number): Promise<AppRow | undefined> {
  const [row] = await tx.select().from(apps).where(eq(apps.id, id)).for('update');
  return row;
}

function pgApps(db: PgDb): AppRepository {
  return {
    async find(ref) {
      const [row] = await db.select().from(apps).where(byRef(ref));
      return row;
    },
    async findByKey(appKey) {
      const [row] = await db.select().from(apps).where(eq(apps.appKey, appKey));
      return row;
    },
    // One snapshot, as SQLite's synchronous reads were: no version without its app.
    withVersions: () =>
      db.transaction(
        async (tx) =>
          groupWithVersions(
            await tx.select().from(apps),
            await tx.select().from(versions),
            (await tx.selectDistinct({ appId: packages.appId }).from(packages)).map((r) => r.appId),
          ),
        { isolationLevel: 'repeatable read', accessMode: 'read only' },
      ),
    inNamespace: (namespace) =>
      db.select().from(apps).where(eq(apps.namespace, namespace)).orderBy(asc(apps.name)),
    refs: () => db.select({ namespace: apps.namespace, name: apps.name }).from(apps),
    moderated: (limit) =>
      db
        .select()
        .from(apps)
        .where(isNotNull(apps.moderation))
        .orderBy(desc(apps.moderatedAt), asc(apps.id))
        .limit(limit),
    async create(row) {
      const [ns] = await db
        .select({ id: namespaces.id })
        .from(namespaces)
        .where(eq(namespaces.name, row.namespace));
      if (!ns) return 'no_namespace';
      // The unique (namespace, name) index decides between two creates of one app.
      const [created] = await db.insert(apps).values(row).onConflictDoNothing().returning();
      return created ?? 'exists';
    },
    async ensure(row) {
      const [existing] = await db.select().from(apps).where(byRef(row));
      if (existing) return existing;
      await db.insert(apps).values(row).onConflictDoNothing();
      const [found] = await db.select().from(apps).where(byRef(row));
      return found!;
    },
    async update(id, change) {
      const [row] = await db.update(apps).set(change).where(eq(apps.id, id)).returning();
      return row;
    },
    async remove(id, within) {
      await db.delete(apps).where(eq(apps.id, id));
      return within();
    },
    async hasPackage(id) {
      const [row] = await db
        .select({ id: packages.id })
        .from(packages)
        .where(eq(packages.appId, id))
        .limit(1);
      return row !== undefined;
    },
  };
}

function pgVersions(db: PgDb): VersionRepository {
  const keysOf = async (tx: Tx, versionId: number) =>
    (
      await tx
        .select({ serviceKey: components.serviceKey })
        .from(components)
        .where(eq(components.versionId, versionId))
    ).map((c) => c.serviceKey);
  const getIn = async (tx: Tx | PgDb, appId: number, version: string) => {
    const [row] = await tx
      .select()
      .from(versions)
      .where(and(eq(versions.appId, appId), eq(versions.version, version)));
    return row;
  };

  /** The app's row locked, inserted first when this push is its first sight. */
  async function lockOrCreate(tx: Tx, row: typeof apps.$inferInsert): Promise<AppRow> {
    const [existing] = await tx.select().from(apps).where(byRef(row)).for('update');
    if (existing) return existing;
    const [created] = await tx.insert(apps).values(row).onConflictDoNothing().returning();
    if (created) return created;
    // Another push created it between the two statements: wait for its lock.
    const [raced] = await tx.select().from(apps).where(byRef(row)).for('update');
    return raced!;
  }

  const keysOfApp = (tx: Tx | PgDb, ref: AppRef) =>
    tx
      .select({ version: versions.version, serviceKey: components.serviceKey })
      .from(apps)
      .innerJoin(versions, eq(versions.appId, apps.id))
      .innerJoin(components, eq(components.versionId, versions.id))
      .where(byRef(ref));

  async function upsertIn(
    tx: Tx,
    input: VersionUpsert,
  ): Promise<{ versionId: number; change: ComponentTagChange }> {
    const { ref, version, content, now } = input;
    const app = await lockOrCreate(tx, {
      appKey: input.newAppKey,
      namespace: ref.namespace,
      name: ref.name,
      displayName: ref.name,
      createdAt: now,
      updatedAt: now,
    });
    const previous = await getIn(tx, app.id, version);
    const fields = versionFields(input, previous);
    let versionId: number;
    let dropped: string[] = [];
    if (previous) {
      await tx
        .update(versions)
        .set({
          ...fields,
          updatedAt: overwriteTime(now, previous),
          updateVersion: previous.updateVersion + 1,
        })
        .where(eq(versions.id, previous.id));
      dropped = await keysOf(tx, previous.id);
      await tx.delete(components).where(eq(components.versionId, previous.id));
      // Credentials kept for a draft's sync belong to the template that named them.
      await tx.delete(sourceCredentials).where(eq(sourceCredentials.versionId, previous.id));
      versionId = previous.id;
    } else {
      const created = Math.floor(now / 1000) * 1000;
      const [row] = await tx
        .insert(versions)
        .values({ appId: app.id, version, ...fields, createdAt: created, updatedAt: created })
        .returning({ id: versions.id });
      versionId = row!.id;
    }
    const rows = componentRows(versionId, content);
    if (rows.length > 0) await tx.insert(components).values(rows);
    await tx
      .update(apps)
      .set({ updatedAt: now, ...displayNameFromTemplate(app, content.template) })
      .where(eq(apps.id, app.id));
    return { versionId, change: { dropped, set: taggedImages(content) } };
  }

  return {
    list: (appId) => db.select().from(versions).where(eq(versions.appId, appId)),
    get: (appId, version) => getIn(db, appId, version),
    async update(id, change) {
      const [row] = await db.update(versions).set(change).where(eq(versions.id, id)).returning();
      return row;
    },
    allWithApp: () =>
      db
        .select({
          version: versions,
          app: {
            id: apps.id,
            namespace: apps.namespace,
            name: apps.name,
            updatedAt: apps.updatedAt,
          },
        })
        .from(versions)
        .innerJoin(apps, eq(apps.id, versions.appId)),
    componentsOf: (versionId) =>
      db
        .select({
          serviceKey: components.serviceKey,
          name: components.name,
          imageDigest: components.imageDigest,
          sourceRef: components.sourceRef,
        })
        .from(components)
        .where(eq(components.versionId, versionId))
        .orderBy(components.serviceKey),
    componentKeysOf: (ref) => keysOfApp(db, ref),
    async upsert(input, tags) {
      const { versionId, change } = await db.transaction((tx) => upsertIn(tx, input));
      tags(change);
      return versionId;
    },
    async rebuild(ref, inputs, keep, tags) {
      const change = await db.transaction(async (tx) => {
        const [app] = await tx.select().from(apps).where(byRef(ref)).for('update');
        const before = app
          ? await tx.select().from(versions).where(eq(versions.appId, app.id))
          : [];
        const old = app ? await keysOfApp(tx, ref) : [];
        if (app) await tx.delete(versions).where(eq(versions.appId, app.id));
        const set: RebuiltTags['set'] = [];
        for (const input of inputs) {
          const upserted = await upsertIn(tx, input);
          set.push(...upserted.change.set.map((c) => ({ ...c, version: input.version })));
          const previous = before.find((v) => v.version === input.version);
          if (previous)
            await tx
              .update(versions)
              .set(keep(previous, input))
              .where(eq(versions.id, upserted.versionId));
        }
        // A rebuild is no change to the app: keep its update time (listings sort by it).
        if (app) await tx.update(apps).set({ updatedAt: app.updatedAt }).where(eq(apps.id, app.id));
        return { old, set };
      });
      tags(change);
    },
    async remove(ref, version, manifestDigest, now, removed) {
      const keys = await db.transaction(async (tx) => {
        const [app] = await tx.select().from(apps).where(byRef(ref)).for('update');
        if (!app) return undefined;
        const row = await getIn(tx, app.id, version);
        if (!row || (manifestDigest && row.manifestDigest !== manifestDigest)) return undefined;
        const serviceKeys = await keysOf(tx, row.id);
        await tx.delete(versions).where(eq(versions.id, row.id));
        await tx.update(apps).set({ updatedAt: now }).where(eq(apps.id, app.id));
        return serviceKeys;
      });
      if (!keys) return false;
      removed(keys);
      return true;
    },
  };
}

function pgPackages(db: PgDb): PackageRepository {
  return {
    list: (appId) =>
      db.select().from(packages).where(eq(packages.appId, appId)).orderBy(asc(packages.name)),
    create: (appId, input) =>
      db.transaction(async (tx) => {
        // A version deleted meanwhile would leave the package covering nothing: one at a time.
        await lockApp(tx, appId);
        const found = new Map(
          (
            await tx
              .select({ version: versions.version, state: versions.state })
              .from(versions)
              .where(and(eq(versions.appId, appId), inArray(versions.version, input.versions)))
          ).map((v) => [v.version, v.state]),
        );
        const missing = input.versions.filter((v) => !found.has(v));
        if (missing.length > 0) return { kind: 'missing' as const, versions: missing };
        const unready = input.versions.filter((v) => found.get(v) !== 'ready');
        if (unready.length > 0) return { kind: 'unready' as const, versions: unready };
        const [row] = await tx
          .insert(packages)
          .values({ appId, ...input, versions: JSON.stringify(input.versions) })
          .onConflictDoNothing()
          .returning();
        return row ? { kind: 'created' as const, row } : { kind: 'exists' as const };
      }),
    async remove(appId, name) {
      const gone = await db
        .delete(packages)
        .where(and(eq(packages.appId, appId), eq(packages.name, name)))
        .returning({ id: packages.id });
      return gone.length > 0;
    },
    async dropVersion(appId, version) {
      await db.transaction(async (tx) => {
        await lockApp(tx, appId);
        for (const pkg of await tx.select().from(packages).where(eq(packages.appId, appId))) {
          const covered = parseStrings(pkg.versions);
          if (!covered.includes(version)) continue;
          const rest = covered.filter((v) => v !== version);
          if (rest.length === 0) await tx.delete(packages).where(eq(packages.id, pkg.id));
          else
            await tx
              .update(packages)
              .set({ versions: JSON.stringify(rest) })
              .where(eq(packages.id, pkg.id));
        }
      });
    },
  };
}
