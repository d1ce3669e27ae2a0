/** What the client needs to know about manifests: which media types, and what they point at. */
import {
  ImageIndex,
  ImageManifest,
  INDEX_MEDIA_TYPES,
  MANIFEST_MEDIA_TYPES,
  MediaTypes,
  type Descriptor,
} from '../../schemas/oci.js';
import type { Platform } from './content.js';
import { ClientError } from './errors.js';

/** Manifests larger than this are refused (the registry's own default limit). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** The Accept header for manifest requests: all four manifest media types. */
export const MANIFEST_ACCEPT = [
  MediaTypes.ociIndex,
  MediaTypes.ociManifest,
  MediaTypes.dockerManifestList,
  MediaTypes.dockerManifest,
].join(', ');

export function isManifestType(mediaType: string): boolean {
  return MANIFEST_MEDIA_TYPES.has(mediaType);
}

export function isIndexType(mediaType: string): boolean {
  return INDEX_MEDIA_TYPES.has(mediaType);
}

/** The media type a manifest declares, or what its shape says (for manifests without the field). */
export function mediaTypeOf(bytes: Buffer, hint?: string | null): string {
  let doc: { mediaType?: unknown; manifests?: unknown; config?: unknown };
  try {
    doc = JSON.parse(bytes.toString('utf8')) as typeof doc;
  } catch (err) {
    throw new ClientError('protocol', 'manifest is not JSON', { cause: err });
  }
  if (typeof doc.mediaType === 'string' && isManifestType(doc.mediaType)) return doc.mediaType;
  const type = hint?.split(';')[0]?.trim();
  if (type && isManifestType(type)) return type;
  return Array.isArray(doc.manifests) ? MediaTypes.ociIndex : MediaTypes.ociManifest;
}

export type ParsedNode =
  | { kind: 'index'; manifests: Descriptor[]; subject?: Descriptor | undefined }
  | {
      kind: 'manifest';
      config: Descriptor;
      layers: Descriptor[];
      subject?: Descriptor | undefined;
    };

/** Parses manifest bytes of `mediaType` into the descriptors below it. */
export function parseNode(bytes: Buffer, mediaType: string): ParsedNode {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new ClientError('protocol', 'manifest is not JSON', { cause: err });
  }
  if (isIndexType(mediaType)) {
    const parsed = ImageIndex.safeParse(json);
    if (!parsed.success)
      throw new ClientError('protocol', 'malformed image index', { cause: parsed.error });
    return { kind: 'index', manifests: parsed.data.manifests, subject: parsed.data.subject };
  }
  const parsed = ImageManifest.safeParse(json);
  if (!parsed.success)
    throw new ClientError('protocol', 'malformed image manifest', { cause: parsed.error });
  return {
    kind: 'manifest',
    config: parsed.data.config,
    layers: parsed.data.layers,
    subject: parsed.data.subject,
  };
}

/** Whether an index entry's platform is the one asked for (variant only when asked). */
export function platformMatches(descriptor: Descriptor, wanted: Platform): boolean {
  const p = descriptor.platform;
  if (!p || p.os !== wanted.os || p.architecture !== wanted.architecture) return false;
  return wanted.variant === undefined || p.variant === wanted.variant;
}
