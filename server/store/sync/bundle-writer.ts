/**
 * The last step of publishing: the bundle (ARCHITECTURE.md §3) — an OCI index of the draft's
 * template manifest and one child per component, annotated with its service_key and source —
 * written under the version's tag through the registry's own manifest path, so the indexer
 * reads it as it reads any pushed bundle and marks the version ready.
 */
import {
  BundleAnnotations,
  bundleIndexJson,
  type BundleComponent,
} from '../../../schemas/bundle.js';
import { MediaTypes, type Digest } from '../../../schemas/oci.js';
import type { ComponentSync } from '../../../schemas/sync.js';
import type { Registry } from '../../../registry/index.js';
import { repositoryOf } from '../version-index.js';
import { SyncError } from './sync-failure.js';
import type { SyncTarget, SyncTargetRepository } from './sync-target-repository.js';

export async function writeBundle(
  deps: { targets: SyncTargetRepository; registry: Registry },
  target: SyncTarget,
  copied: readonly ComponentSync[],
  actor: string,
): Promise<Digest> {
  const { app, version } = target;
  const repository = repositoryOf(app);
  const tagged = await deps.registry.meta.tagDigest(repository, version.version);
  if (
    tagged === undefined ||
    tagged !== version.manifestDigest ||
    version.manifestDigest !== version.templateDigest
  ) {
    throw new SyncError(
      'draft_changed',
      `${repository}:${version.version} is no longer the draft that was published; publish it again`,
    );
  }
  const bound = await deps.targets.components(version.id);
  const byKey = new Map(copied.map((c) => [c.serviceKey, c] as const));
  if (
    bound.length !== copied.length ||
    bound.some((b) => byKey.get(b.serviceKey)?.source !== b.sourceRef)
  ) {
    throw new SyncError(
      'draft_changed',
      `the components of ${repository}:${version.version} changed during the sync; publish it again`,
    );
  }
  const stored = await deps.registry.meta.manifestByDigest(
    repository,
    version.templateDigest as Digest,
  );
  if (!stored)
    throw new SyncError('draft_changed', `template manifest ${version.templateDigest} is gone`);
  const children = copied.map((c): BundleComponent => {
    if (c.state !== 'done' || !c.digest || !c.mediaType || c.size === undefined) {
      throw new SyncError('incomplete', `component ${c.serviceKey} is not copied`);
    }
    return {
      serviceKey: c.serviceKey,
      source: c.source,
      descriptor: { mediaType: c.mediaType, digest: c.digest, size: c.size },
    };
  });
  const title = groupName(version.template);
  const annotations: Record<string, string> = {
    [BundleAnnotations.version]: version.version,
    ...(title ? { [BundleAnnotations.title]: title } : {}),
    ...(version.description ? { [BundleAnnotations.description]: version.description } : {}),
  };
  const index = bundleIndexJson(
    { mediaType: stored.mediaType, digest: stored.digest, size: stored.size },
    children,
    annotations,
  );
  const written = await deps.registry.putManifest({
    repository,
    reference: version.version,
    contentType: MediaTypes.ociIndex,
    content: Buffer.from(index),
    actor,
  });
  return written.digest;
}

function groupName(template: string): string | undefined {
  try {
    const name = (JSON.parse(template) as { group_name?: unknown }).group_name;
    return typeof name === 'string' && name !== '' ? name : undefined;
  } catch {
    return undefined;
  }
}
