/**
 * The size of a component's image per platform, from the manifests the store's registry holds
 * (no blob reads): an index lists its platforms, each image manifest is its config plus layers
 * (the bytes a pull downloads, compressed).
 */
import type { Digest } from '../../schemas/oci.js';
import type { RegistryMetadata } from '../../registry/metadata/registry-metadata.js';

export interface PlatformSize {
  /** `linux/amd64`, or '' when a single image manifest does not say. */
  platform: string;
  bytes: number;
}

interface Descriptor {
  digest?: unknown;
  size?: unknown;
  platform?: { os?: unknown; architecture?: unknown; variant?: unknown };
  annotations?: Record<string, unknown>;
}

interface ManifestJson {
  config?: Descriptor;
  layers?: Descriptor[];
  manifests?: Descriptor[];
}

type Meta = Pick<RegistryMetadata, 'manifestByDigest'>;

export function imageSizes(meta: Meta, repository: string, digest: string): PlatformSize[] {
  const top = read(meta, repository, digest);
  if (!top) return [];
  if (!Array.isArray(top.manifests)) return [{ platform: '', bytes: imageBytes(top) }];
  return top.manifests.flatMap((entry) => {
    // Attestations (buildx's "unknown/unknown") are not a platform anyone runs.
    const os = typeof entry.platform?.os === 'string' ? entry.platform.os : '';
    const arch =
      typeof entry.platform?.architecture === 'string' ? entry.platform.architecture : '';
    if (!os || os === 'unknown' || typeof entry.digest !== 'string') return [];
    const child = read(meta, repository, entry.digest);
    if (!child) return [];
    const variant = typeof entry.platform?.variant === 'string' ? `/${entry.platform.variant}` : '';
    return [{ platform: `${os}/${arch}${variant}`, bytes: imageBytes(child) }];
  });
}

function read(meta: Meta, repository: string, digest: string): ManifestJson | undefined {
  const stored = meta.manifestByDigest(repository, digest as Digest);
  if (!stored) return undefined;
  try {
    const parsed: unknown = JSON.parse(stored.content.toString('utf8'));
    return typeof parsed === 'object' && parsed !== null ? (parsed as ManifestJson) : undefined;
  } catch {
    return undefined;
  }
}

function imageBytes(m: ManifestJson): number {
  const size = (d: Descriptor | undefined): number => (typeof d?.size === 'number' ? d.size : 0);
  return size(m.config) + (Array.isArray(m.layers) ? m.layers.reduce((n, l) => n + size(l), 0) : 0);
}
