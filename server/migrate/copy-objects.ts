/**
 * Copies every object of one blob storage into another under the same key, byte-exact and
 * streamed (memory stays flat whatever the sizes). A content-addressed blob (`blobs/<alg>/..`)
 * is hashed on the way through: bytes that do not match their key fail the write, so the target
 * never holds them. An object already in the target with the same size is skipped, so a run cut
 * short continues where it stopped. Staging areas (`_tmp/`, `_uploads/`) are not content.
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { digestOfKey, type ObjectInfo, type StorageDriver } from '../../registry/index.js';
import { MigrationError } from './migration-error.js';

/** Objects copied at once: enough to keep a remote target busy, few enough for two cores. */
const PARALLEL_COPIES = 4;
const STAGING = /^(_tmp|_uploads)\//;

export interface ObjectCopyTotals {
  copied: number;
  copiedBytes: number;
  /** Already in the target with the same size (an earlier run). */
  present: number;
  presentBytes: number;
}

export async function copyObjects(
  from: StorageDriver,
  to: StorageDriver,
  onProgress: (totals: Readonly<ObjectCopyTotals>) => void,
): Promise<ObjectCopyTotals> {
  const totals: ObjectCopyTotals = { copied: 0, copiedBytes: 0, present: 0, presentBytes: 0 };
  const objects = contentOf(from.list(''))[Symbol.asyncIterator]();
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed) {
      const next = await objects.next();
      if (next.done) return;
      const object = next.value;
      const there = await to.stat(object.key);
      if (there?.size === object.size) {
        totals.present++;
        totals.presentBytes += object.size;
      } else {
        await copyObject(from, to, object);
        totals.copied++;
        totals.copiedBytes += object.size;
      }
      onProgress(totals);
    }
  };
  // The first failure stops the others after their current object: nothing runs on afterwards.
  const settled = await Promise.allSettled(
    Array.from({ length: PARALLEL_COPIES }, () =>
      worker().catch((err: unknown) => {
        failed = true;
        throw err;
      }),
    ),
  );
  const rejected = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (rejected) {
    await objects.return?.(); // closes the listing (an open folder on fs) it stopped in
    throw asMigrationError(rejected.reason);
  }
  return totals;
}

async function* contentOf(listing: AsyncIterable<ObjectInfo>): AsyncIterable<ObjectInfo> {
  for await (const object of listing) if (!STAGING.test(object.key)) yield object;
}

async function copyObject(
  from: StorageDriver,
  to: StorageDriver,
  object: ObjectInfo,
): Promise<void> {
  const digest = digestOfKey(object.key);
  const body = await from.read(object.key);
  const checked = digest ? body.pipe(new DigestCheck(digest, object.size)) : body;
  // A read error must reach the writer, which then drops what it wrote.
  if (checked !== body) body.once('error', (err) => checked.destroy(err));
  try {
    const written = await to.write(object.key, checked);
    if (written.size !== object.size)
      throw new MigrationError(
        'verification_failed',
        `${object.key}: the target holds ${written.size} bytes, the source ${object.size}`,
      );
  } catch (err) {
    const mismatch = findCause(err, MigrationError);
    throw mismatch ?? err;
  } finally {
    // A write that failed part way leaves the source stream (an open file) unread.
    body.destroy();
  }
}

/** Passes bytes through and fails at the end when they are not `digest` (of `size` bytes). */
class DigestCheck extends Transform {
  private readonly hash: Hash;
  private seen = 0;

  constructor(
    private readonly digest: string,
    private readonly size: number,
  ) {
    super();
    this.hash = createHash(digest.slice(0, digest.indexOf(':')));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.seen += chunk.length;
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    const actual = `${this.digest.slice(0, this.digest.indexOf(':'))}:${this.hash.digest('hex')}`;
    if (actual === this.digest && this.seen === this.size) return done();
    done(
      new MigrationError(
        'digest_mismatch',
        `blob ${this.digest}: the source's bytes (${this.seen}) hash to ${actual}; the source storage is corrupt there`,
      ),
    );
  }
}

/**
 * A driver's failure (StorageError: named, as server/ sees registry/ through its index only)
 * says which driver and key; it is an operator's problem, not a bug, and a run that follows
 * goes on from what the target holds.
 */
function asMigrationError(err: unknown): unknown {
  if (err instanceof MigrationError || !(err instanceof Error) || err.name !== 'StorageError')
    return err;
  return new MigrationError(
    'storage_failed',
    `${err.message}; the objects copied so far stay, and a second run goes on from there`,
    { cause: err },
  );
}

/** `err` or the first of its causes that is a `type`. */
function findCause<T>(err: unknown, type: new (...args: never[]) => T): T | undefined {
  for (let e = err; e instanceof Error; e = e.cause) if (e instanceof type) return e;
  return undefined;
}
