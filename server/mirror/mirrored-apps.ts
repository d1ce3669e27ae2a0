/**
 * The local side of a mirrored app: its row, marked with the upstream it comes from before any
 * content lands (so it is read-only from its first byte), in a namespace the mirror creates as an
 * organisation owned by the admin when it is missing; and its versions' upstream state (kept and
 * marked when deleted upstream, or removed when the upstream is pruned).
 */
import { and, eq, inArray, isNotNull, notInArray } from 'drizzle-orm';
import type { MirrorUpstream } from '../../schemas/mirror.js';
import type { Registry } from '../../registry/index.js';
import type { Namespaces } from '../accounts/namespaces.js';
import { ADMIN_NAME } from '../auth/bootstrap.js';
import type { Db } from '../db/open-database.js';
import { users } from '../db/schema.js';
import { apps, versions } from '../db/store-schema.js';
import type { AppRow } from '../store/app-access.js';
import { repositoryOf, type AppRef, type VersionIndex } from '../store/version-index.js';

export class MirroredAppError extends Error {
  override readonly name = 'MirroredAppError';
}

export interface MirroredAppsDeps {
  db: Db;
  registry: Pick<Registry, 'meta'>;
  versions: VersionIndex;
  namespaces: Namespaces;
  clock: () => number;
}

export class MirroredApps {
  constructor(private readonly deps: MirroredAppsDeps) {}

  /** Where an upstream app lands here: its name, under `into` or its own namespace. */
  static localRef(upstream: MirrorUpstream, ref: AppRef): AppRef {
    return { namespace: upstream.into || ref.namespace, name: ref.name };
  }

  /**
   * The local app row for `ref`, mirrored from `upstream`. An app of the same name that is not
   * this upstream's is never taken over.
   */
  async ensure(upstream: MirrorUpstream, ref: AppRef): Promise<AppRow> {
    const { db, namespaces, versions: index, clock } = this.deps;
    if (!(await namespaces.exists(ref.namespace))) {
      const admin = db.select({ id: users.id }).from(users).where(eq(users.name, ADMIN_NAME)).get();
      if (!admin) throw new MirroredAppError('no admin user to own the mirrored namespace');
      await namespaces.createOrg(ref.namespace, ref.namespace, admin.id);
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
    return db
      .update(apps)
      .set({ mirrorUpstream: upstream.name, mirrorUrl: upstream.url, updatedAt: clock() })
      .where(eq(apps.id, row.id))
      .returning()
      .get()!;
  }

  /**
   * Apps of upstreams no longer in `mirror.upstreams` become the store's own (writable by their
   * namespace's owners again): nothing mirrors them any more. Returns them, `namespace/name`.
   */
  release(configured: readonly string[]): string[] {
    const { db } = this.deps;
    const orphaned = db
      .select({ id: apps.id, namespace: apps.namespace, name: apps.name })
      .from(apps)
      .where(
        configured.length > 0
          ? and(isNotNull(apps.mirrorUpstream), notInArray(apps.mirrorUpstream, [...configured]))
          : isNotNull(apps.mirrorUpstream),
      )
      .all();
    if (orphaned.length === 0) return [];
    db.update(apps)
      .set({ mirrorUpstream: null, mirrorUrl: null })
      .where(
        inArray(
          apps.id,
          orphaned.map((a) => a.id),
        ),
      )
      .run();
    return orphaned.map((a) => `${a.namespace}/${a.name}`);
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
    const { db, registry, versions: index, clock } = this.deps;
    const ref = { namespace: app.namespace, name: app.name };
    const present = [...upstreamVersions];
    db.update(versions)
      .set({ upstreamDeletedAt: null })
      .where(
        and(
          eq(versions.appId, app.id),
          inArray(versions.version, present),
          isNotNull(versions.upstreamDeletedAt),
        ),
      )
      .run();
    const gone = db
      .select({ version: versions.version, upstreamDeletedAt: versions.upstreamDeletedAt })
      .from(versions)
      .where(and(eq(versions.appId, app.id), notInArray(versions.version, present)))
      .all();
    if (!upstream.prune) {
      const now = clock();
      for (const v of gone.filter((g) => g.upstreamDeletedAt === null))
        db.update(versions)
          .set({ upstreamDeletedAt: now })
          .where(and(eq(versions.appId, app.id), eq(versions.version, v.version)))
          .run();
      return [];
    }
    for (const { version } of gone) {
      await registry.meta.deleteTag(repositoryOf(ref), version);
      await index.remove(ref, version);
    }
    return gone.map((g) => g.version);
  }
}
