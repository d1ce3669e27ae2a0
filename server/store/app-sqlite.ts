/**
 * The app repositories on SQLite (app-repository.ts): the store's queries as they were, each
 * write one synchronous better-sqlite3 transaction, so every promise is settled when returned and
 * the caller's next line sees the change.
 */
import { and, asc, desc, eq, inArray, isNotNull, sql } from 'drizzle-orm';
import type { SqliteDb } from '../db/store-database.js';
import { namespaces } from '../db/schema.js';
import { apps, components, packages, sourceCredentials, versions } from '../db/store-schema.js';
import type {
  AppRepositories,
  AppRepository,
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

export function sqliteAppRepositories(db: SqliteDb): AppRepositories {
  const appRepo = sqliteApps(db);
  return { apps: appRepo, versions: sqliteVersions(db, appRepo), packages: sqlitePackages(db) };
}

function sqliteApps(db: SqliteDb): AppRepository & { findNow: typeof findNow } {
  function findNow(ref: { namespace: string; name: string }) {
    return db
      .select()
      .from(apps)
      .where(and(eq(apps.namespace, ref.namespace), eq(apps.name, ref.name)))
      .get();
  }
  function ensureNow(row: typeof apps.$inferInsert) {
    return findNow(row) ?? db.insert(apps).values(row).returning().get();
  }
  return {
    findNow,
    find: async (ref) => findNow(ref),
    findByKey: async (appKey) => db.select().from(apps).where(eq(apps.appKey, appKey)).get(),
    withVersions: async () =>
      db.transaction(() =>
        groupWithVersions(
          db.select().from(apps).all(),
          db.select().from(versions).all(),
          db
            .selectDistinct({ appId: packages.appId })
            .from(packages)
            .all()
            .map((r) => r.appId),
        ),
      ),
    inNamespace: async (namespace) =>
      db.select().from(apps).where(eq(apps.namespace, namespace)).orderBy(asc(apps.name)).all(),
    refs: async () => db.select({ namespace: apps.namespace, name: apps.name }).from(apps).all(),
    moderated: async (limit) =>
      db
        .select()
        .from(apps)
        .where(isNotNull(apps.moderation))
        .orderBy(desc(apps.moderatedAt), asc(apps.id))
        .limit(limit)
        .all(),
    create: async (row) =>
      db.transaction((tx) => {
        const ns = tx
          .select({ id: namespaces.id })
          .from(namespaces)
          .where(eq(namespaces.name, row.namespace))
          .get();
        if (!ns) return 'no_namespace' as const;
        if (findNow(row)) return 'exists' as const;
        return tx.insert(apps).values(row).returning().get();
      }),
    ensure: async (row) => ensureNow(row),
    update: async (id, change) =>
      db.update(apps).set(change).where(eq(apps.id, id)).returning().get(),
    remove: async (id, within) =>
      db.transaction((tx) => {
        const result = within();
        tx.delete(apps).where(eq(apps.id, id)).run();
        return result;
      }),
    hasPackage: async (id) =>
      !!db.select({ id: packages.id }).from(packages).where(eq(packages.appId, id)).get(),
  };
}

function sqliteVersions(db: SqliteDb, appRepo: ReturnType<typeof sqliteApps>): VersionRepository {
  // Every tagged push into an app asks (is the tag a component's?): prepared once.
  const componentsOfApp = db
    .select({ version: versions.version, serviceKey: components.serviceKey })
    .from(apps)
    .innerJoin(versions, eq(versions.appId, apps.id))
    .innerJoin(components, eq(components.versionId, versions.id))
    .where(
      and(eq(apps.namespace, sql.placeholder('namespace')), eq(apps.name, sql.placeholder('name'))),
    )
    .prepare();
  const keysOf = (versionId: number) =>
    db
      .select({ serviceKey: components.serviceKey })
      .from(components)
      .where(eq(components.versionId, versionId))
      .all()
      .map((c) => c.serviceKey);
  const getNow = (appId: number, version: string) =>
    db
      .select()
      .from(versions)
      .where(and(eq(versions.appId, appId), eq(versions.version, version)))
      .get();

  /** One transaction; nested in a rebuild's, a savepoint. */
  function upsertNow(input: VersionUpsert, tags: (change: ComponentTagChange) => void): number {
    return db.transaction((tx) => {
      const { ref, version, content, now } = input;
      const app =
        appRepo.findNow(ref) ??
        tx
          .insert(apps)
          .values({
            appKey: input.newAppKey,
            namespace: ref.namespace,
            name: ref.name,
            displayName: ref.name,
            createdAt: now,
            updatedAt: now,
          })
          .returning()
          .get();
      const previous = getNow(app.id, version);
      const fields = versionFields(input, previous);
      let versionId: number;
      let dropped: string[] = [];
      if (previous) {
        tx.update(versions)
          .set({
            ...fields,
            updatedAt: overwriteTime(now, previous),
            updateVersion: previous.updateVersion + 1,
          })
          .where(eq(versions.id, previous.id))
          .run();
        dropped = keysOf(previous.id);
        tx.delete(components).where(eq(components.versionId, previous.id)).run();
        // Credentials kept for a draft's sync belong to the template that named them.
        tx.delete(sourceCredentials).where(eq(sourceCredentials.versionId, previous.id)).run();
        versionId = previous.id;
      } else {
        const created = Math.floor(now / 1000) * 1000;
        versionId = tx
          .insert(versions)
          .values({ appId: app.id, version, ...fields, createdAt: created, updatedAt: created })
          .returning({ id: versions.id })
          .get().id;
      }
      for (const row of componentRows(versionId, content)) tx.insert(components).values(row).run();
      tags({ dropped, set: taggedImages(content) });
      tx.update(apps)
        .set({ updatedAt: now, ...displayNameFromTemplate(app, content.template) })
        .where(eq(apps.id, app.id))
        .run();
      return versionId;
    });
  }

  return {
    list: async (appId) => db.select().from(versions).where(eq(versions.appId, appId)).all(),
    get: async (appId, version) => getNow(appId, version),
    update: async (id, change) =>
      db.update(versions).set(change).where(eq(versions.id, id)).returning().get(),
    allWithApp: async () =>
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
        .innerJoin(apps, eq(apps.id, versions.appId))
        .all(),
    componentsOf: async (versionId) =>
      db
        .select({
          serviceKey: components.serviceKey,
          name: components.name,
          imageDigest: components.imageDigest,
          sourceRef: components.sourceRef,
        })
        .from(components)
        .where(eq(components.versionId, versionId))
        .orderBy(components.serviceKey)
        .all(),
    componentKeysOf: async (ref) =>
      componentsOfApp.all({ namespace: ref.namespace, name: ref.name }),
    upsert: async (input, tags) => upsertNow(input, tags),
    rebuild: async (ref, inputs, keep, tags) => {
      db.transaction((tx) => {
        const app = appRepo.findNow(ref);
        const before = app
          ? tx.select().from(versions).where(eq(versions.appId, app.id)).all()
          : [];
        const old = app ? componentsOfApp.all({ namespace: ref.namespace, name: ref.name }) : [];
        if (app) tx.delete(versions).where(eq(versions.appId, app.id)).run();
        const set: RebuiltTags['set'] = [];
        for (const input of inputs) {
          const id = upsertNow(input, (change) =>
            set.push(...change.set.map((c) => ({ ...c, version: input.version }))),
          );
          const previous = before.find((v) => v.version === input.version);
          if (previous)
            tx.update(versions).set(keep(previous, input)).where(eq(versions.id, id)).run();
        }
        tags({ old, set });
        // A rebuild is no change to the app: keep its update time (listings sort by it).
        if (app) tx.update(apps).set({ updatedAt: app.updatedAt }).where(eq(apps.id, app.id)).run();
      });
    },
    remove: async (ref, version, manifestDigest, now, removed) =>
      db.transaction((tx) => {
        const app = appRepo.findNow(ref);
        if (!app) return false;
        const row = getNow(app.id, version);
        if (!row || (manifestDigest && row.manifestDigest !== manifestDigest)) return false;
        removed(keysOf(row.id));
        tx.delete(versions).where(eq(versions.id, row.id)).run();
        tx.update(apps).set({ updatedAt: now }).where(eq(apps.id, app.id)).run();
        return true;
      }),
  };
}

function sqlitePackages(db: SqliteDb): PackageRepository {
  return {
    list: async (appId) =>
      db.select().from(packages).where(eq(packages.appId, appId)).orderBy(asc(packages.name)).all(),
    create: async (appId, input) =>
      db.transaction((tx) => {
        const found = new Map(
          tx
            .select({ version: versions.version, state: versions.state })
            .from(versions)
            .where(and(eq(versions.appId, appId), inArray(versions.version, input.versions)))
            .all()
            .map((v) => [v.version, v.state]),
        );
        const missing = input.versions.filter((v) => !found.has(v));
        if (missing.length > 0) return { kind: 'missing' as const, versions: missing };
        const unready = input.versions.filter((v) => found.get(v) !== 'ready');
        if (unready.length > 0) return { kind: 'unready' as const, versions: unready };
        const taken = tx
          .select({ id: packages.id })
          .from(packages)
          .where(and(eq(packages.appId, appId), eq(packages.name, input.name)))
          .get();
        if (taken) return { kind: 'exists' as const };
        const row = tx
          .insert(packages)
          .values({ appId, ...input, versions: JSON.stringify(input.versions) })
          .returning()
          .get();
        return { kind: 'created' as const, row };
      }),
    remove: async (appId, name) =>
      db
        .delete(packages)
        .where(and(eq(packages.appId, appId), eq(packages.name, name)))
        .run().changes > 0,
    dropVersion: async (appId, version) => {
      db.transaction((tx) => {
        for (const pkg of tx.select().from(packages).where(eq(packages.appId, appId)).all()) {
          const covered = parseStrings(pkg.versions);
          if (!covered.includes(version)) continue;
          const rest = covered.filter((v) => v !== version);
          if (rest.length === 0) tx.delete(packages).where(eq(packages.id, pkg.id)).run();
          else
            tx.update(packages)
              .set({ versions: JSON.stringify(rest) })
              .where(eq(packages.id, pkg.id))
              .run();
        }
      });
    },
  };
}
