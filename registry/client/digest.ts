/** Digests and verification: content is checked against its descriptor as it streams. */
import { createHash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { DIGEST_PATTERN, type Descriptor, type Digest } from '../../schemas/oci.js';
import { ClientError } from './errors.js';
import { readLimited as readStream } from '../read-limited.js';

export type DigestAlgorithm = 'sha256' | 'sha512';

export function isDigest(value: string): value is Digest {
  return DIGEST_PATTERN.test(value);
}

/** Validates a digest a registry or a file handed us. */
export function toDigest(value: string, where: string): Digest {
  if (!isDigest(value))
    throw new ClientError('protocol', `${where}: not a digest: ${value.slice(0, 80)}`);
  return value;
}

export function algorithmOf(digest: string): DigestAlgorithm {
  return digest.startsWith('sha512:') ? 'sha512' : 'sha256';
}

export function digestOf(bytes: Buffer, algorithm: DigestAlgorithm = 'sha256'): Digest {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}` as Digest;
}

function mismatch(expected: Descriptor, actual: { digest?: string; size: number }): ClientError {
  const what =
    actual.size !== expected.size
      ? `${actual.size} bytes, expected ${expected.size}`
      : `digest ${actual.digest ?? '?'}`;
  return new ClientError(
    'digest_mismatch',
    `content of ${expected.digest} does not match its descriptor: ${what}`,
  );
}

/** Throws ClientError('digest_mismatch') unless `bytes` is exactly what `expected` describes. */
export function verifyBytes(bytes: Buffer, expected: Descriptor): void {
  if (bytes.length !== expected.size) throw mismatch(expected, { size: bytes.length });
  const actual = digestOf(bytes, algorithmOf(expected.digest));
  if (actual !== expected.digest) throw mismatch(expected, { digest: actual, size: bytes.length });
}

/**
 * A pass-through that hashes and counts: it fails as soon as more bytes than `expected.size`
 * arrive, and at the end unless digest and size match. A consumer that stops at the error
 * never commits bad content.
 */
export class VerifyingStream extends Transform {
  private readonly hash;
  private bytes = 0;

  constructor(private readonly expected: Descriptor) {
    super();
    this.hash = createHash(algorithmOf(expected.digest));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.expected.size) return done(mismatch(this.expected, { size: this.bytes }));
    this.hash.update(chunk);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    const digest = `${algorithmOf(this.expected.digest)}:${this.hash.digest('hex')}`;
    if (this.bytes !== this.expected.size || digest !== this.expected.digest) {
      return done(mismatch(this.expected, { digest, size: this.bytes }));
    }
    done();
  }
}

/** `source` piped through a VerifyingStream; errors of either side reach the returned stream. */
export function verifying(source: Readable, expected: Descriptor): Readable {
  const check = new VerifyingStream(expected);
  source.once('error', (err) => check.destroy(err));
  check.once('close', () => {
    if (!source.destroyed) source.destroy();
  });
  return source.pipe(check);
}

/** Reads a whole stream, failing with 'too_large' past `limit` bytes (it stops reading there). */
export function readLimited(stream: Readable, limit: number, what: string): Promise<Buffer> {
  return readStream(
    stream,
    limit,
    () => new ClientError('too_large', `${what} is larger than ${limit} bytes`),
  );
}
