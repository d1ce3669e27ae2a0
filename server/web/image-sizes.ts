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

export async function imageSizes(
  meta: Meta,
  repository: string,
  digest: string,
): Promise<PlatformSize[]> {
  const top = await read(meta, repository, digest);
  if (!top) return [];
  if (!Array.isArray(top.manifests)) return [{ platform: '', bytes: imageBytes(top) }];
  const sizes: PlatformSize[] = [];
  for (const entry of top.manifests) {
    // Attestations (buildx's "unknown/unknown") are not a platform anyone runs.
    const os = typeof entry.platform?.os === 'string' ? entry.platform.os : '';
    const arch =
      typeof entry.platform?.architecture === 'string' ? entry.platform.architecture : '';
    if (!os || os === 'unknown' || typeof entry.digest !== 'string') continue;
    const child = await read(meta, repository, entry.digest);
    if (!child) continue;
    const variant = typeof entry.platform?.variant === 'string' ? `/${entry.platform.variant}` : '';
    sizes.push({ platform: `${os}/${arch}${variant}`, bytes: imageBytes(child) });
  }
  return sizes;
}

async function read(
  meta: Meta,
  repository: string,
  digest: string,
): Promise<ManifestJson | undefined> {
  const stored = await meta.manifestByDigest(repository, digest as Digest);
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
