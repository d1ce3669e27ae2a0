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
import type { AppContent, BundleReader } from './bundle-reader.js';
import { appRefOf, type VersionIndex } from './version-index.js';

const PENDING_TTL_MS = 60_000;

export class StoreIndexer {
  /** What the guard read, waiting for the push to commit: `<repository>@<digest>`. */
  private readonly pending = new Map<string, { content: AppContent; at: number }>();

  constructor(
    private readonly deps: {
      registry: Registry;
      reader: BundleReader;
      versions: VersionIndex;
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
    if (tag !== null && this.deps.versions.isComponentTag(app, tag)) {
      throw new OciError('DENIED', `tag ${tag} is kept by the store for a component image`);
    }
    const found = await this.deps.reader.read(repository, manifest, content);
    if (!found || tag === null) return;
    const now = this.deps.clock();
    for (const [key, entry] of this.pending)
      if (now - entry.at > PENDING_TTL_MS) this.pending.delete(key);
    this.pending.set(`${repository}@${manifest.digest}`, { content: found, at: now });
  };

  readonly onEvent = (event: RegistryEvent): void => {
    const app = appRefOf(event.repository);
    if (!app) return;
    const { versions, log } = this.deps;
    switch (event.type) {
      case 'manifest.pushed': {
        const key = `${event.repository}@${event.digest}`;
        const entry = this.pending.get(key);
        this.pending.delete(key);
        if (!entry || event.tag === null) return;
        versions.upsert(app, event.tag, event.digest, entry.content);
        log.info(
          { repo: event.repository, version: event.tag, kind: entry.content.kind },
          'version indexed',
        );
        return;
      }
      case 'tag.deleted':
        if (versions.remove(app, event.tag, event.digest))
          log.info({ repo: event.repository, version: event.tag }, 'version removed');
        return;
      case 'manifest.deleted':
        for (const tag of event.tags) versions.remove(app, tag, event.digest);
        return;
      case 'manifest.pulled':
        return;
    }
  };
}
