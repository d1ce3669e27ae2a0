/**
 * The local side of a mirrored app: its row, marked with the upstream it comes from before any
 * content lands (so it is read-only from its first byte), in a namespace the mirror creates as an
 * organisation owned by the admin when it is missing; and its versions' upstream state (kept and
 * marked when deleted upstream, or removed when the upstream is pruned).
 */
import type { MirrorUpstream } from '../../schemas/mirror.js';
import type { Registry } from '../../registry/index.js';
import type { Namespaces } from '../accounts/namespaces.js';
import type { StoreDatabase } from '../db/store-database.js';
import type { AppRow } from '../store/app-access.js';
import { repositoryOf, type AppRef, type VersionIndex } from '../store/version-index.js';
import { mirroredAppRepository, type MirroredAppRepository } from './mirrored-app-repository.js';

export class MirroredAppError extends Error {
  override readonly name = 'MirroredAppError';
}

export interface MirroredAppsDeps {
  store: StoreDatabase;
  registry: Pick<Registry, 'meta'>;
  versions: VersionIndex;
  namespaces: Namespaces;
  clock: () => number;
}

export class MirroredApps {
  private readonly repository: MirroredAppRepository;

  constructor(private readonly deps: MirroredAppsDeps) {
    this.repository = mirroredAppRepository(deps.store);
  }

  /** Where an upstream app lands here: its name, under `into` or its own namespace. */
  static localRef(upstream: MirrorUpstream, ref: AppRef): AppRef {
    return { namespace: upstream.into || ref.namespace, name: ref.name };
  }

  /**
   * The local app row for `ref`, mirrored from `upstream`. An app of the same name that is not
   * this upstream's is never taken over.
   */
  async ensure(upstream: MirrorUpstream, ref: AppRef): Promise<AppRow> {
    const { namespaces, versions: index, clock } = this.deps;
    if (!(await namespaces.exists(ref.namespace))) {
      const admin = await this.repository.adminId();
      if (admin === undefined)
        throw new MirroredAppError('no admin user to own the mirrored namespace');
      await namespaces.createOrg(ref.namespace, ref.namespace, admin);
    }
    const existing = await index.findApp(ref);
    if (existing && existing.mirrorUpstream !== upstream.name) {
      throw new MirroredAppError(
        existing.mirrorUpstream === null
          ? `${repositoryOf(ref)} exists on this store and is not a mirror: it is left alone`
          : `${repositoryOf(ref)} is mirrored from upstream "${existing.mirrorUpstream}"`,
      );
    }
    const row = existing ?? (await index.ensureApp(ref));
    if (row.mirrorUpstream === upstream.name && row.mirrorUrl === upstream.url) return row;
    const marked = await this.repository.markMirrored(row.id, upstream.name, upstream.url, clock());
    if (!marked) throw new MirroredAppError(`${repositoryOf(ref)} was deleted meanwhile`);
    return marked;
  }

  /**
   * Apps of upstreams no longer in `mirror.upstreams` become the store's own (writable by their
   * namespace's owners again): nothing mirrors them any more. Returns them, `namespace/name`.
   */
  release(configured: readonly string[]): Promise<string[]> {
    return this.repository.release(configured);
  }

  /**
   * Versions the upstream still has lose their mark; the others are marked deleted upstream, or
   * removed (tag and row) when the upstream is pruned. Returns the versions removed.
   */
  async reconcile(
    upstream: MirrorUpstream,
    app: AppRow,
    upstreamVersions: readonly string[],
  ): Promise<string[]> {
    const { registry, versions: index, clock } = this.deps;
    const ref = { namespace: app.namespace, name: app.name };
    const gone = await this.repository.reconcile(app.id, upstreamVersions, clock(), upstream.prune);
    if (!upstream.prune) return [];
    for (const version of gone) {
      await registry.meta.deleteTag(repositoryOf(ref), version);
      await index.remove(ref, version);
    }
    return gone;
  }
}
