/**
 * Writes what the registry holds into the store's rows: apps (created by their first push),
 * versions and components. One unit of work per change (app-repository.ts), no I/O inside.
 */
import { randomBytes } from 'node:crypto';
import { componentTag } from '../../schemas/bundle.js';
import type { Digest } from '../../schemas/oci.js';
import type { Registry } from '../../registry/index.js';
import type { StoreEvents } from '../webhooks/store-events.js';
import type { AppRepositories, AppRef, AppRow, VersionUpsert } from './app-repository.js';
import type { AppContent } from './bundle-reader.js';

export type { AppRef };

/** `<namespace>/<app>` repositories are apps; anything else is plain registry content. */
export function appRefOf(repository: string): AppRef | undefined {
  const parts = repository.split('/');
  return parts.length === 2 ? { namespace: parts[0]!, name: parts[1]! } : undefined;
}

export function repositoryOf(app: AppRef): string {
  return `${app.namespace}/${app.name}`;
}

export class VersionIndex {
  constructor(
    private readonly repos: AppRepositories,
    private readonly registry: Pick<Registry, 'meta'>,
    private readonly clock: () => number,
    /** Where a removed version is told (webhook `delete`), whichever way it went (/v2 or the API). */
    private readonly events?: StoreEvents,
  ) {}

  /** The app row, created on first sight (first push or POST /apps). */
  ensureApp(ref: AppRef): Promise<AppRow> {
    const now = this.clock();
    return this.repos.apps.ensure({
      appKey: randomBytes(16).toString('hex'),
      namespace: ref.namespace,
      name: ref.name,
      displayName: ref.name,
      createdAt: now,
      updatedAt: now,
    });
  }

  findApp(ref: AppRef): Promise<AppRow | undefined> {
    return this.repos.apps.find(ref);
  }

  /** Whether `tag` is one the store keeps for a component of a version of this app. */
  async isComponentTag(ref: AppRef, tag: string): Promise<boolean> {
    return (await this.repos.versions.componentKeysOf(ref)).some(
      (r) => componentTag(r.version, r.serviceKey) === tag,
    );
  }

  /** Indexes a pushed template (draft) or bundle (ready) under `version`; replaces an older one. */
  async upsert(
    ref: AppRef,
    version: string,
    manifestDigest: Digest,
    content: AppContent,
  ): Promise<number> {
    const repository = repositoryOf(ref);
    const { meta } = this.registry;
    const tagging: (() => Promise<unknown>)[] = [];
    const id = await this.repos.versions.upsert(
      this.upsertInput(ref, version, manifestDigest, content),
      ({ dropped, set }) => {
        for (const serviceKey of dropped)
          tagging.push(() => meta.deleteTag(repository, componentTag(version, serviceKey)));
        // The component tag names the component image (Rainbond pulls it by tag), not the bundle index.
        for (const c of set)
          tagging.push(() =>
            meta.setTag(repository, componentTag(version, c.serviceKey), c.imageDigest),
          );
      },
    );
    await runAfterCommit(tagging);
    return id;
  }

  /** What `upsert` (and a reindex's rebuild) writes for one pushed tag. */
  upsertInput(
    ref: AppRef,
    version: string,
    manifestDigest: Digest,
    content: AppContent,
  ): VersionUpsert {
    const newAppKey = randomBytes(16).toString('hex');
    return { ref, version, manifestDigest, content, now: this.clock(), newAppKey };
  }

  /** Removes the version a deleted tag (or manifest) stood for; `actor`: who, for the event. */
  async remove(
    ref: AppRef,
    version: string,
    manifestDigest?: Digest,
    actor?: string,
  ): Promise<boolean> {
    const repository = repositoryOf(ref);
    const tagging: (() => Promise<unknown>)[] = [];
    const removed = await this.repos.versions.remove(
      ref,
      version,
      manifestDigest,
      this.clock(),
      (keys) => {
        for (const serviceKey of keys)
          tagging.push(() =>
            this.registry.meta.deleteTag(repository, componentTag(version, serviceKey)),
          );
        this.events?.emit({
          type: 'delete',
          namespace: ref.namespace,
          app: ref.name,
          actor,
          data: { repository, version },
        });
      },
    );
    await runAfterCommit(tagging);
    return removed;
  }
}

/**
 * The registry's component tags of a version, written once its rows committed: the registry may
 * be another engine's transaction (PostgreSQL), and a crash between the two leaves rows whose
 * component tags a reindex writes again.
 */
export async function runAfterCommit(tagging: readonly (() => Promise<unknown>)[]): Promise<void> {
  for (const op of tagging) await op();
}
