/**
 * Writes what the registry holds into the store's rows: apps (created by their first push),
 * versions and components. One synchronous transaction per change, no I/O inside.
 */
import { randomBytes } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { componentTag } from '../../schemas/bundle.js';
import type { Digest } from '../../schemas/oci.js';
import type { Registry } from '../../registry/index.js';
import type { Db } from '../db/open-database.js';
import { apps, components, sourceCredentials, versions } from '../db/store-schema.js';
import type { StoreEvents } from '../webhooks/store-events.js';
import type { AppContent } from './bundle-reader.js';

export interface AppRef {
  namespace: string;
  name: string;
}

/** `<namespace>/<app>` repositories are apps; anything else is plain registry content. */
export function appRefOf(repository: string): AppRef | undefined {
  const parts = repository.split('/');
  return parts.length === 2 ? { namespace: parts[0]!, name: parts[1]! } : undefined;
}

export function repositoryOf(app: AppRef): string {
  return `${app.namespace}/${app.name}`;
}

export class VersionIndex {
  /** Every version's components of an app; prepared once, as every tagged push into an app asks. */
  private readonly componentsOfApp;

  constructor(
    private readonly db: Db,
    private readonly registry: Pick<Registry, 'meta'>,
    private readonly clock: () => number,
    /** Where a removed version is told (webhook `delete`), whichever way it went (/v2 or the API). */
    private readonly events?: StoreEvents,
  ) {
    this.componentsOfApp = db
      .select({ version: versions.version, serviceKey: components.serviceKey })
      .from(apps)
      .innerJoin(versions, eq(versions.appId, apps.id))
      .innerJoin(components, eq(components.versionId, versions.id))
      .where(
        and(
          eq(apps.namespace, sql.placeholder('namespace')),
          eq(apps.name, sql.placeholder('name')),
        ),
      )
      .prepare();
  }

  /** The app row, created on first sight (first push or POST /apps). */
  ensureApp(ref: AppRef): typeof apps.$inferSelect {
    const existing = this.findApp(ref);
    if (existing) return existing;
    const now = this.clock();
    return this.db
      .insert(apps)
      .values({
        appKey: randomBytes(16).toString('hex'),
        namespace: ref.namespace,
        name: ref.name,
        displayName: ref.name,
        createdAt: now,
        updatedAt: now,
      })
      .returning()
      .get();
  }

  findApp(ref: AppRef): typeof apps.$inferSelect | undefined {
    return this.db
      .select()
      .from(apps)
      .where(and(eq(apps.namespace, ref.namespace), eq(apps.name, ref.name)))
      .get();
  }

  /** Whether `tag` is one the store keeps for a component of a version of this app. */
  isComponentTag(ref: AppRef, tag: string): boolean {
    return this.componentsOfApp
      .all({ namespace: ref.namespace, name: ref.name })
      .some((r) => componentTag(r.version, r.serviceKey) === tag);
  }

  /** Indexes a pushed template (draft) or bundle (ready) under `version`; replaces an older one. */
  upsert(ref: AppRef, version: string, manifestDigest: Digest, content: AppContent): number {
    const repository = repositoryOf(ref);
    return this.db.transaction((tx) => {
      const app = this.ensureApp(ref);
      const now = this.clock();
      const previous = tx
        .select()
        .from(versions)
        .where(and(eq(versions.appId, app.id), eq(versions.version, version)))
        .get();
      const fields = {
        state: content.kind === 'bundle' ? ('ready' as const) : ('draft' as const),
        manifestDigest,
        templateDigest: content.templateDigest,
        template: JSON.stringify(content.template),
        description:
          content.annotations['org.opencontainers.image.description'] ??
          previous?.description ??
          '',
        rainbondVersion:
          stringField(content.template, 'rainbond_version') ?? previous?.rainbondVersion ?? '',
      };
      let versionId: number;
      if (previous) {
        // Rainbond compares update times to the second: every overwrite moves it forward.
        const updatedAt = Math.max(Math.floor(now / 1000) * 1000, previous.updatedAt + 1000);
        tx.update(versions)
          .set({ ...fields, updatedAt, updateVersion: previous.updateVersion + 1 })
          .where(eq(versions.id, previous.id))
          .run();
        this.dropComponentTags(repository, previous.version, previous.id);
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
      const names = new Map(
        (content.template.apps ?? []).map((a) => [
          String(a.service_key),
          String(a.service_cname ?? ''),
        ]),
      );
      for (const c of content.components) {
        tx.insert(components)
          .values({
            versionId,
            serviceKey: c.serviceKey,
            name: names.get(c.serviceKey) ?? '',
            imageDigest: c.imageDigest,
            sourceRef: c.source,
          })
          .run();
        // The component tag names the component image (Rainbond pulls it by tag), not the bundle index.
        if (content.kind === 'bundle' && c.imageDigest)
          // Inside a synchronous SQLite transaction: SQLite's registry writes run before they
          // return (sqlite-metadata.ts); package E of decision 0003 moves this out of it.
          void this.registry.meta.setTag(
            repository,
            componentTag(version, c.serviceKey),
            c.imageDigest,
          );
      }
      tx.update(apps)
        .set({ updatedAt: now, ...displayNameFromTemplate(app, content.template) })
        .where(eq(apps.id, app.id))
        .run();
      return versionId;
    });
  }

  /** Removes the version a deleted tag (or manifest) stood for; `actor`: who, for the event. */
  remove(ref: AppRef, version: string, manifestDigest?: Digest, actor?: string): boolean {
    const app = this.findApp(ref);
    if (!app) return false;
    return this.db.transaction((tx) => {
      const row = tx
        .select()
        .from(versions)
        .where(and(eq(versions.appId, app.id), eq(versions.version, version)))
        .get();
      if (!row || (manifestDigest && row.manifestDigest !== manifestDigest)) return false;
      this.dropComponentTags(repositoryOf(ref), row.version, row.id);
      tx.delete(versions).where(eq(versions.id, row.id)).run();
      tx.update(apps).set({ updatedAt: this.clock() }).where(eq(apps.id, app.id)).run();
      this.events?.emit({
        type: 'delete',
        namespace: ref.namespace,
        app: ref.name,
        actor,
        data: { repository: repositoryOf(ref), version },
      });
      return true;
    });
  }

  private dropComponentTags(repository: string, version: string, versionId: number): void {
    const keys = this.db
      .select({ serviceKey: components.serviceKey })
      .from(components)
      .where(eq(components.versionId, versionId))
      .all();
    // Inside a synchronous SQLite transaction: SQLite's registry writes run before they return
    // (sqlite-metadata.ts); package E of decision 0003 moves this out of it.
    for (const { serviceKey } of keys)
      void this.registry.meta.deleteTag(repository, componentTag(version, serviceKey));
  }
}

/**
 * A publisher who gave no display name (the row still holds the app's name, as first sight
 * leaves it) gets the template's `group_name`, the name Rainbond shows for the app.
 */
function displayNameFromTemplate(
  app: typeof apps.$inferSelect,
  template: object,
): { displayName?: string } {
  if (app.displayName !== '' && app.displayName !== app.name) return {};
  const groupName = stringField(template, 'group_name')?.trim();
  return groupName ? { displayName: groupName } : {};
}

function stringField(template: object, key: string): string | undefined {
  const value = (template as Record<string, unknown>)[key];
  return typeof value === 'string' ? value : undefined;
}
