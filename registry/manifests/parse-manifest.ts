import { createHash } from 'node:crypto';
import type { z } from 'zod';
import {
  ImageIndex,
  ImageManifest,
  INDEX_MEDIA_TYPES,
  MANIFEST_MEDIA_TYPES,
  MediaTypes,
  type Descriptor,
  type Digest,
} from '../../schemas/oci.js';
import { OciError } from '../errors.js';

export interface ParsedManifest {
  digest: Digest;
  mediaType: string;
  artifactType: string | null;
  subject: Digest | null;
  annotations: Record<string, string> | null;
  refs: { child: Digest; kind: 'blob' | 'manifest' }[];
}

const SCHEMA1 = new Set([
  'application/vnd.docker.distribution.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v1+prettyjws',
]);

/** Layers that registries never hold (they are fetched from `urls`). */
const FOREIGN_LAYERS = new Set([
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
]);

/**
 * Validates a manifest body as pushed and extracts what the registry indexes. The digest is
 * computed with `algorithm` (that of the reference when the client pushed by digest).
 */
export function parseManifest(
  body: Buffer,
  contentType: string | undefined,
  algorithm: 'sha256' | 'sha512',
): ParsedManifest {
  const digest = `${algorithm}:${createHash(algorithm).update(body).digest('hex')}` as Digest;
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new OciError('MANIFEST_INVALID', 'manifest is not valid JSON', undefined, { cause: err });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new OciError('MANIFEST_INVALID', 'manifest is not a JSON object');
  }
  const declared = (json as { mediaType?: unknown }).mediaType;
  const header = contentType?.split(';')[0]?.trim().toLowerCase();
  if (declared !== undefined && typeof declared !== 'string') {
    throw new OciError('MANIFEST_INVALID', 'mediaType must be a string');
  }
  if (SCHEMA1.has(declared ?? '') || SCHEMA1.has(header ?? '')) {
    throw new OciError('MANIFEST_INVALID', 'Docker schema 1 manifests are not supported');
  }
  if (declared && header && MANIFEST_MEDIA_TYPES.has(header) && declared !== header) {
    throw new OciError('MANIFEST_INVALID', 'mediaType does not match Content-Type', {
      mediaType: declared,
      contentType: header,
    });
  }
  const mediaType = pickMediaType(declared, header, json);
  return withStorableArtifactType(parseKnown(json, mediaType, digest));
}

/**
 * The artifact type is kept in a text column, which on PostgreSQL cannot hold U+0000 (SQLite's
 * can): a manifest whose type has one is refused on either engine. The manifest itself is kept
 * as bytes and its annotations as escaped JSON, so nothing else it says needs this.
 */
function withStorableArtifactType(parsed: ParsedManifest): ParsedManifest {
  if (parsed.artifactType?.includes('\u0000'))
    throw new OciError('MANIFEST_INVALID', 'artifactType must not contain U+0000', {
      artifactType: parsed.artifactType,
    });
  return parsed;
}

function parseKnown(json: object, mediaType: string, digest: Digest): ParsedManifest {
  if (INDEX_MEDIA_TYPES.has(mediaType)) {
    const index = validate(ImageIndex, json);
    return {
      digest,
      mediaType,
      artifactType: index.artifactType ?? null,
      subject: index.subject?.digest ?? null,
      annotations: index.annotations ?? null,
      refs: unique(index.manifests.map((d) => ({ child: d.digest, kind: 'manifest' as const }))),
    };
  }
  const manifest = validate(ImageManifest, json);
  return {
    digest,
    mediaType,
    artifactType: manifest.artifactType ?? manifest.config.mediaType,
    subject: manifest.subject?.digest ?? null,
    annotations: manifest.annotations ?? null,
    refs: unique(
      [manifest.config, ...manifest.layers]
        .filter((d: Descriptor) => !FOREIGN_LAYERS.has(d.mediaType))
        .map((d) => ({ child: d.digest, kind: 'blob' as const })),
    ),
  };
}

function pickMediaType(
  declared: string | undefined,
  header: string | undefined,
  json: object,
): string {
  if (declared && MANIFEST_MEDIA_TYPES.has(declared)) return declared;
  if (header && MANIFEST_MEDIA_TYPES.has(header)) return header;
  if (declared)
    throw new OciError(
      'MANIFEST_INVALID',
      `unsupported manifest media type ${declared.slice(0, 100)}`,
    );
  // No usable type: OCI lets mediaType be absent, so go by shape.
  if ('manifests' in json) return MediaTypes.ociIndex;
  if ('config' in json) return MediaTypes.ociManifest;
  throw new OciError('MANIFEST_INVALID', 'unknown manifest media type');
}

function validate<T extends z.ZodType>(schema: T, json: unknown): z.infer<T> {
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue ? issue.path.join('.') : '';
    throw new OciError(
      'MANIFEST_INVALID',
      `manifest invalid${at ? ` at ${at}` : ''}: ${issue?.message ?? 'schema'}`,
      {
        issues: parsed.error.issues.slice(0, 5),
      },
    );
  }
  return parsed.data;
}

function unique<T extends { child: string }>(refs: T[]): T[] {
  const seen = new Set<string>();
  return refs.filter((r) => (seen.has(r.child) ? false : (seen.add(r.child), true)));
}
