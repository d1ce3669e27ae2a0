import type { Readable, Writable } from 'node:stream';
import { unlink } from 'node:fs/promises';
import type { Digest } from '../../schemas/oci.js';
import type { MaybePromise, RegistryMetadata } from '../metadata/registry-metadata.js';
import type { ByteRange, StorageDriver } from './driver.js';
import { allowAllBlobs, type BlobGuard } from './blob-guard.js';
import { blobKey } from './keys.js';
import { SmallBlobCache } from './small-blob-cache.js';
import { readLimited } from '../read-limited.js';

/**
 * Content-addressed blobs over a storage driver. A blob becomes visible when its row is written,
 * which happens only after its bytes were verified and moved into place.
 */
export class BlobStore {
  /** Digests being moved into place right now; GC never sweeps these. */
  readonly committing = new Set<Digest>();
  /** Last time each blob was looked at (HEAD/GET/mount); GC treats recent ones as live. */
  readonly touched = new Map<Digest, number>();
  /** Blob files GC is deleting right now; a commit of the same digest waits for the deletion. */
  readonly sweeping = new Map<Digest, Promise<void>>();

  private readonly small = new SmallBlobCache(64 * 1024, 32 * 1024 * 1024);
  /** Asked before bytes are linked into a repository (Registry.setBlobGuard). */
  guard: BlobGuard = allowAllBlobs;

  constructor(
    readonly driver: StorageDriver,
    private readonly meta: RegistryMetadata,
    private readonly now: () => number = Date.now,
  ) {}

  /** The size of a blob that `repository` may serve, or undefined. */
  sizeIn(repository: string, digest: Digest): MaybePromise<number | undefined> {
    const size = this.meta.repositoryBlobSize(repository, digest);
    // SQLite answers synchronously: blob HEAD/GET then cost no promise before the bytes.
    if (size instanceof Promise) return size.then((s) => this.touchIfHeld(digest, s));
    return this.touchIfHeld(digest, size);
  }

  private touchIfHeld(digest: Digest, size: number | undefined): number | undefined {
    if (size !== undefined) this.touch(digest);
    return size;
  }

  open(digest: Digest, range?: ByteRange): Promise<Readable> {
    return this.driver.read(blobKey(digest), range);
  }

  /** Opens a blob to send as a response body (see StorageDriver.openToSend). */
  openToSend(digest: Digest, range: ByteRange): Promise<(out: Writable) => Promise<void>> {
    return this.driver.openToSend(blobKey(digest), range);
  }

  /**
   * Where a GET of the blob `digest` of `size` bytes should go instead (a presigned URL), when the
   * driver redirects reads; undefined, with no work done, when it does not. Blobs small enough to
   * be kept in memory are served from here all the same: a redirect would cost the client a round
   * trip more than the bytes themselves.
   */
  redirectFor(digest: Digest, size: number): Promise<string> | undefined {
    const { redirectUrl } = this.driver;
    if (!redirectUrl || size <= this.small.maxBlobBytes) return undefined;
    return redirectUrl(blobKey(digest));
  }

  /**
   * The whole content of a blob of `size` bytes that is small enough to keep in memory, or
   * undefined for a larger one (stream it with `open`). Small blobs are the most requested per
   * byte (configs, small layers): serving them from memory spares an open, a read and a close.
   */
  async readSmall(digest: Digest, size: number): Promise<Buffer | undefined> {
    if (size > this.small.maxBlobBytes) return undefined;
    const cached = this.small.get(digest);
    if (cached?.length === size) return cached;
    const content = await readLimited(
      await this.open(digest),
      size,
      () => new Error(`blob ${digest} is larger than its recorded size`),
    );
    if (content.length !== size)
      throw new Error(`blob ${digest} is shorter than its recorded size`);
    this.small.set(digest, content);
    return content;
  }

  /** Moves a verified local staging file into place as `digest` and links it into `repository`. */
  commitStaged(repository: string, localPath: string, digest: Digest, size: number): Promise<void> {
    return this.commit(repository, digest, size, {
      place: () => this.driver.adopt(localPath, blobKey(digest)),
      drop: () => unlink(localPath).catch(() => undefined),
    });
  }

  /**
   * Makes verified bytes the blob `digest` and links it into `repository`: `place` puts them at
   * the blob's key, unless the blob is stored already (then `drop` lets them go).
   */
  async commit(
    repository: string,
    digest: Digest,
    size: number,
    bytes: { place(): Promise<void>; drop(): Promise<void> },
  ): Promise<void> {
    const guarded = this.guard({ repository, digest, size });
    const linked = guarded instanceof Promise ? await guarded : guarded;
    await this.place(repository, digest, size, bytes);
    linked?.();
  }

  private async place(
    repository: string,
    digest: Digest,
    size: number,
    bytes: { place(): Promise<void>; drop(): Promise<void> },
  ): Promise<void> {
    if (!this.committing.has(digest) && (await this.meta.blobSize(digest)) !== undefined) {
      // Already stored: keep the existing bytes, just link them.
      this.touch(digest);
      if (await this.meta.linkBlob(repository, digest)) {
        await bytes.drop();
        return;
      }
    }
    for (let pending = this.sweeping.get(digest); pending; pending = this.sweeping.get(digest)) {
      await pending.catch(() => undefined);
    }
    this.committing.add(digest);
    try {
      await bytes.place();
      await this.meta.addBlob(repository, digest, size);
      this.touch(digest);
    } finally {
      this.committing.delete(digest);
    }
  }

  /** Cross-repository mount: links a blob the caller may read elsewhere into `repository`. */
  async mount(repository: string, from: string, digest: Digest): Promise<boolean> {
    const size = await this.meta.repositoryBlobSize(from, digest);
    if (size === undefined) return false;
    const guarded = this.guard({ repository, digest, size });
    const linked = guarded instanceof Promise ? await guarded : guarded;
    this.touch(digest);
    if (!(await this.meta.linkBlob(repository, digest))) return false;
    linked?.();
    return true;
  }

  /** Drops a blob's cached bytes (its file is being deleted). */
  forgetCached(digest: Digest): void {
    this.small.delete(digest);
  }

  touch(digest: Digest): void {
    this.touched.set(digest, this.now());
  }
}
