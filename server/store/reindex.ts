/**
 * Rebuilds the store's version rows from the registry's content, so the index can always be
 * recovered from the registry (ARCHITECTURE.md §4: the registry's rows are the truth for tags and
 * manifests). Every tag of every `<namespace>/<app>` repository is read again through the
 * BundleReader and indexed through the VersionIndex, as a push would be; versions with no tag
 * left go. Apps are never deleted: their texts, listing, packages and statistics are the store's
 * own, not in the registry; an app missing from the rows is created (with a new app key).
 * Version fields that are the store's own (alias, created, update count) are kept.
 *
 * Each app is rebuilt in one unit of work (VersionRepository.rebuild) after its tags were read; when a push
 * changed the tags in between, the app is read again.
 */
import type { Logger } from 'pino';
import { componentTag } from '../../schemas/bundle.js';
import type { Digest } from '../../schemas/oci.js';
import type { Registry } from '../../registry/index.js';
import { StoreError } from '../errors.js';
import type { AppRepositories } from './app-repository.js';
import type { AppContent, BundleReader } from './bundle-reader.js';
import {
  appRefOf,
  repositoryOf,
  runAfterCommit,
  type AppRef,
  type VersionIndex,
} from './version-index.js';

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
      repos: AppRepositories;
      registry: Registry;
      reader: BundleReader;
      versions: VersionIndex;
      log: Logger;
      /** True while image sync jobs run: their rows would be swept away under them. */
      busy: () => Promise<boolean>;
    },
  ) {}

  async run(): Promise<ReindexReport> {
    if (await this.deps.busy())
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
    const names = new Set((await this.deps.repos.apps.refs()).map(repositoryOf));
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

  /** One unit of work: the app's versions go, the tags read are indexed again, kept fields restored. */
  private async rebuild(
    ref: AppRef,
    found: ReadTag[],
  ): Promise<{ versions: number; components: number }> {
    const { repos, versions: index, registry } = this.deps;
    const repository = repositoryOf(ref);
    const byTag = new Map(found.map((f) => [f.tag, f]));
    const tagging: (() => Promise<unknown>)[] = [];
    await repos.versions.rebuild(
      ref,
      found.map((f) => index.upsertInput(ref, f.tag, f.digest, f.content)),
      (old, input) => ({
        alias: old.alias,
        createdAt: old.createdAt,
        updateVersion: old.updateVersion,
        isPlugin: old.isPlugin,
        ...(old.manifestDigest === input.manifestDigest ? { updatedAt: old.updatedAt } : {}),
        ...(input.content.annotations['org.opencontainers.image.description']
          ? {}
          : { description: old.description }),
      }),
      ({ old, set }) => {
        for (const c of set)
          tagging.push(() =>
            registry.meta.setTag(repository, componentTag(c.version, c.serviceKey), c.imageDigest),
          );
        // Component tags of versions that are gone (the store keeps those tags, so it drops them).
        const live = new Set(set.map((c) => componentTag(c.version, c.serviceKey)));
        for (const t of old) {
          const tag = componentTag(t.version, t.serviceKey);
          if (!live.has(tag) && !byTag.has(tag))
            tagging.push(() => registry.meta.deleteTag(repository, tag));
        }
      },
    );
    await runAfterCommit(tagging);
    return {
      versions: found.length,
      components: found.reduce((n, f) => n + f.content.components.length, 0),
    };
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
