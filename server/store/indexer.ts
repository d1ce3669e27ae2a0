/**
 * Keeps the store's rows in step with the registry, synchronously, in the push's own request:
 * the manifest guard reads and validates an app template before anything is stored (a broken
 * template is refused with MANIFEST_INVALID), and the push event writes the version rows.
 */
import type { Logger } from 'pino';
import {
  OciError,
  type ManifestGuard,
  type Registry,
  type RegistryEvent,
} from '../../registry/index.js';
import type { StoreEvents } from '../webhooks/store-events.js';
import type { AppContent, BundleReader } from './bundle-reader.js';
import { appRefOf, type AppRef, type VersionIndex } from './version-index.js';

const PENDING_TTL_MS = 60_000;

export class StoreIndexer {
  /** What the guard read, waiting for the push to commit: `<repository>@<digest>`. */
  private readonly pending = new Map<string, { content: AppContent; at: number }>();

  constructor(
    private readonly deps: {
      registry: Registry;
      reader: BundleReader;
      versions: VersionIndex;
      /** Told of every indexed version: webhook `push`, and `publish` for a bundle. */
      events?: StoreEvents;
      log: Logger;
      clock: () => number;
    },
  ) {}

  attach(): void {
    this.deps.registry.setGuard(this.guard);
    this.deps.registry.on(this.onEvent);
  }

  readonly guard: ManifestGuard = async ({ repository, tag, manifest, content }) => {
    const app = appRefOf(repository);
    if (!app) return;
    if (tag !== null && (await this.deps.versions.isComponentTag(app, tag))) {
      throw new OciError('DENIED', `tag ${tag} is kept by the store for a component image`);
    }
    const found = await this.deps.reader.read(repository, manifest, content);
    if (!found || tag === null) return;
    const now = this.deps.clock();
    for (const [key, entry] of this.pending)
      if (now - entry.at > PENDING_TTL_MS) this.pending.delete(key);
    this.pending.set(`${repository}@${manifest.digest}`, { content: found, at: now });
  };

  readonly onEvent = (event: RegistryEvent): Promise<unknown> | undefined => {
    const app = appRefOf(event.repository);
    if (!app) return;
    const { versions, log } = this.deps;
    switch (event.type) {
      case 'manifest.pushed': {
        const key = `${event.repository}@${event.digest}`;
        const entry = this.pending.get(key);
        this.pending.delete(key);
        if (!entry || event.tag === null) return;
        const { tag } = event;
        return this.settle(event, versions.upsert(app, tag, event.digest, entry.content), () => {
          log.info(
            { repo: event.repository, version: tag, kind: entry.content.kind },
            'version indexed',
          );
          this.announce(app, tag, event.digest, entry.content.kind, event.actor);
        });
      }
      case 'tag.deleted':
        return this.settle(
          event,
          versions.remove(app, event.tag, event.digest, event.actor),
          (removed) => {
            if (removed)
              log.info({ repo: event.repository, version: event.tag }, 'version removed');
          },
        );
      case 'manifest.deleted':
        return Promise.all(
          event.tags.map((tag) =>
            this.settle(event, versions.remove(app, tag, event.digest, event.actor), () => {}),
          ),
        );
      case 'manifest.pulled':
        return;
    }
  };

  /**
   * The index's write, which the registry awaits before it answers the push or removal (on
   * SQLite the rows are written when this returns); a failure is logged as the registry logs a
   * listener's, and does not fail the push (its manifest is stored: a reindex mends the rows).
   */
  private settle<T>(
    event: RegistryEvent,
    write: Promise<T>,
    then: (value: T) => void,
  ): Promise<void> {
    return write
      .then(then)
      .catch((err: unknown) =>
        this.deps.log.error(
          { err, event: event.type, repo: event.repository },
          'event listener failed',
        ),
      );
  }

  /**
   * A bundle under a version's tag is a version ready to install, however it came (a push, the
   * image sync's bundle write, the Rainstore API): that is `publish`, beside the `push`.
   */
  private announce(
    app: AppRef,
    version: string,
    digest: string,
    kind: AppContent['kind'],
    actor: string,
  ): void {
    const events = this.deps.events;
    if (!events) return;
    const common = { namespace: app.namespace, app: app.name, actor };
    const repository = `${app.namespace}/${app.name}`;
    events.emit({ ...common, type: 'push', data: { repository, version, digest, kind } });
    if (kind === 'bundle')
      events.emit({ ...common, type: 'publish', data: { repository, version, digest } });
  }
}
