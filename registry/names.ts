import {
  DIGEST_PATTERN,
  REPOSITORY_NAME_PATTERN,
  TAG_PATTERN,
  type Digest,
} from '../schemas/oci.js';
import { OciError } from './errors.js';

const MAX_NAME_LENGTH = 255;

export function parseRepositoryName(raw: string): string {
  if (raw.length > MAX_NAME_LENGTH || !REPOSITORY_NAME_PATTERN.test(raw)) {
    throw new OciError('NAME_INVALID', 'invalid repository name', { name: raw.slice(0, 300) });
  }
  return raw;
}

export function isDigest(value: string): value is Digest {
  return DIGEST_PATTERN.test(value);
}

export function parseDigest(
  raw: string | undefined,
  code: 'DIGEST_INVALID' | 'BLOB_UNKNOWN' = 'DIGEST_INVALID',
): Digest {
  if (raw === undefined || !isDigest(raw)) {
    throw new OciError(code, 'invalid digest', { digest: raw?.slice(0, 200) });
  }
  return raw;
}

export type Reference = { kind: 'tag'; tag: string } | { kind: 'digest'; digest: Digest };

/** A tag or a digest; undefined when `raw` is neither, so no manifest can be stored under it. */
export function referenceOf(raw: string): Reference | undefined {
  if (isDigest(raw)) return { kind: 'digest', digest: raw };
  if (TAG_PATTERN.test(raw)) return { kind: 'tag', tag: raw };
  return undefined;
}

/** For writes and deletes: a reference that is neither tag nor digest is the client's error (400). */
export function parseReference(raw: string): Reference {
  const ref = referenceOf(raw);
  if (ref) return ref;
  if (raw.includes(':'))
    throw new OciError('DIGEST_INVALID', 'invalid digest', { reference: raw.slice(0, 200) });
  throw new OciError('MANIFEST_INVALID', 'invalid tag', { reference: raw.slice(0, 200) });
}

export function algorithmOf(digest: Digest): 'sha256' | 'sha512' {
  return digest.startsWith('sha512:') ? 'sha512' : 'sha256';
}
