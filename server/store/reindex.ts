/**
 * Rebuilds the store's version rows from the registry's content, so the index can always be
 * recovered from the registry (ARCHITECTURE.md §4: the registry's rows are the truth for tags and
 * manifests). Every tag of every `<namespace>/<app>` repository is read again through the
 * BundleReader and indexed through the VersionIndex, as a push would be; versions with no tag
 * left go. Apps are never deleted: their texts, listing, packages and statistics are the store's
 * own, not in the registry; an app missing from the rows is created (with a new app key).
 * Version fields that are the store's own (alias, created, update count) are kept.
 *
 * Each app is rebuilt in one synchronous transaction after its tags were read; when a push
 * changed the tags in between, the app is read again.
 */
import { eq } from 'drizzle-orm';
import type { Logger } from 'pino';
import { componentTag } from '../../schemas/bundle.js';
import type { Digest } from '../../schemas/oci.js';
import type { Registry } from '../../registry/index.js';
import type { Db } from '../db/open-database.js';
import { apps, components, versions } from '../db/store-schema.js';
import { StoreError } from '../errors.js';
import type { AppContent, BundleReader } from './bundle-reader.js';
import { appRefOf, repositoryOf, type AppRef, type VersionIndex } from './version-index.js';

export interface ReindexReport {
  apps: number;
  versions: number;
  components: number;
  /** Tags that hold no app content the store can read (a broken template, a missing blob). */
  skipped: { repository: string; tag: string; reason: string }[];
}

interface ReadTag {
  tag: string;
  digest: Digest;
  content: AppContent;
}

const MAX_READS = 3;

export class Reindexer {
  constructor(
    private readonly deps: {
      db: Db;
      registry: Registry;
      reader: BundleReader;
      versions: VersionIndex;
      log: Logger;
      /** True while image sync jobs run: their rows would be swept away under them. */
      busy: () => boolean;
    },
  ) {}

  async run(): Promise<ReindexReport> {
    if (this.deps.busy())
      throw new StoreError('conflict', 'image sync jobs are running; reindex when they are done');
    const report: ReindexReport = { apps: 0, versions: 0, components: 0, skipped: [] };
    for (const ref of await this.appRefs()) {
      const rebuilt = await this.reindexApp(ref, report.skipped);
      if (rebuilt.versions > 0) report.apps++;
      report.versions += rebuilt.versions;
      report.components += rebuilt.components;
    }
    this.deps.log.info(
      { apps: report.apps, versions: report.versions, skipped: report.skipped.length },
      'store reindexed',
    );
    return report;
  }

  /** Every app the rows or the registry know of. */
  private async appRefs(): Promise<AppRef[]> {
    const names = new Set(
      this.deps.db
        .select({ namespace: apps.namespace, name: apps.name })
        .from(apps)
        .all()
        .map(repositoryOf),
    );
    for (
      let last = '', page: string[];
      (page = await this.deps.registry.meta.listRepositories(last, 500)).length > 0;
      last = page.at(-1)!
    ) {
      for (const name of page) if (appRefOf(name)) names.add(name);
      if (page.length < 500) break;
    }
    return [...names].sort().map((name) => appRefOf(name)!);
  }

  private async reindexApp(
    ref: AppRef,
    skipped: ReindexReport['skipped'],
  ): Promise<{ versions: number; components: number }> {
    const repository = repositoryOf(ref);
    for (let read = 1; ; read++) {
      const tags = await this.deps.registry.meta.allTags(repository);
      const problems: ReindexReport['skipped'] = [];
      const found = await this.readTags(repository, tags, problems);
      const now = await this.deps.registry.meta.allTags(repository);
      if (!sameTags(tags, now) && read < MAX_READS) continue;
      skipped.push(...problems);
      return this.rebuild(ref, found);
    }
  }

  private async readTags(
    repository: string,
    tags: { name: string; digest: Digest }[],
    problems: ReindexReport['skipped'],
  ): Promise<ReadTag[]> {
    const found: ReadTag[] = [];
    for (const { name, digest } of tags) {
      const stored = await this.deps.registry.meta.manifestByDigest(repository, digest);
      if (!stored) continue;
      try {
        const content = await this.deps.reader.read(repository, stored, stored.content);
        if (content) found.push({ tag: name, digest, content });
      } catch (err) {
        problems.push({
          repository,
          tag: name,
          reason: err instanceof Error ? err.message : String(err),
        });
      }
    }
    // The store's own `<version>-<service_key>` tags name component images: they are not versions.
    const kept = new Set(
      found
        .filter((f) => f.content.kind === 'bundle')
        .flatMap((f) =>
          f.content.components.map((c) => `${componentTag(f.tag, c.serviceKey)}@${c.imageDigest}`),
        ),
    );
    return found.filter((f) => !kept.has(`${f.tag}@${f.digest}`));
  }

  /** One transaction: the app's versions go, the tags read are indexed again, kept fields restored. */
  private rebuild(ref: AppRef, found: ReadTag[]): { versions: number; components: number } {
    const { db, versions: index, registry } = this.deps;
    const repository = repositoryOf(ref);
    return db.transaction((tx) => {
      const app = index.findApp(ref);
      const before = app ? tx.select().from(versions).where(eq(versions.appId, app.id)).all() : [];
      const oldTags =
        before.length > 0
          ? tx
              .select({ version: versions.version, serviceKey: components.serviceKey })
              .from(components)
              .innerJoin(versions, eq(versions.id, components.versionId))
              .where(eq(versions.appId, app!.id))
              .all()
          : [];
      if (app) tx.delete(versions).where(eq(versions.appId, app.id)).run();
      let componentCount = 0;
      for (const f of found) {
        const id = index.upsert(ref, f.tag, f.digest, f.content);
        componentCount += f.content.components.length;
        const old = before.find((v) => v.version === f.tag);
        if (old) {
          tx.update(versions)
            .set({
              alias: old.alias,
              createdAt: old.createdAt,
              updateVersion: old.updateVersion,
              isPlugin: old.isPlugin,
              ...(old.manifestDigest === f.digest ? { updatedAt: old.updatedAt } : {}),
              ...(f.content.annotations['org.opencontainers.image.description']
                ? {}
                : { description: old.description }),
            })
            .where(eq(versions.id, id))
            .run();
        }
      }
      // Component tags of versions that are gone (the store keeps those tags, so it drops them).
      const live = new Set(
        found.flatMap((f) =>
          f.content.kind === 'bundle'
            ? f.content.components.map((c) => componentTag(f.tag, c.serviceKey))
            : [],
        ),
      );
      for (const t of oldTags) {
        const tag = componentTag(t.version, t.serviceKey);
        if (!live.has(tag) && !found.some((f) => f.tag === tag))
          // Inside a synchronous SQLite transaction: SQLite's registry writes run before they
          // return (sqlite-metadata.ts); package E of decision 0003 moves this out of it.
          void registry.meta.deleteTag(repository, tag);
      }
      // A rebuild is no change to the app: keep its update time (listings sort by it).
      if (app) tx.update(apps).set({ updatedAt: app.updatedAt }).where(eq(apps.id, app.id)).run();
      return { versions: found.length, components: componentCount };
    });
  }
}

function sameTags(
  a: { name: string; digest: string }[],
  b: { name: string; digest: string }[],
): boolean {
  return (
    a.length === b.length && a.every((t, i) => t.name === b[i]!.name && t.digest === b[i]!.digest)
  );
}
