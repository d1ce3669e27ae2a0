import { createHash, randomUUID, type Hash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rm, stat, truncate, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Digest } from '../../schemas/oci.js';
import { OciError } from '../errors.js';
import type { RegistryMetadata, UploadRow } from '../metadata/registry-metadata.js';
import { algorithmOf } from '../names.js';
import type { BlobStore } from '../storage/blob-store.js';
import { fsyncFile } from '../storage/fs-driver.js';
import type { BlobUploads, StaleUpload } from './blob-uploads.js';
import { checkLength, checkStart, cutByClient } from './chunk-checks.js';
import { assertRoomForUpload, tooManyUploads } from './open-upload-cap.js';
import { UploadLocks } from './upload-locks.js';

interface HashState {
  hash: Hash;
  offset: number;
}

/**
 * Blob upload sessions, staged as local files in `dir`. Bytes are hashed while they stream in,
 * so completing an upload needs no second read (unless the process restarted in between, or
 * the client asked for sha512). A failed or cancelled upload leaves nothing behind.
 */
export class UploadSessions implements BlobUploads {
  private readonly hashes = new Map<string, HashState>();
  private readonly locks = new UploadLocks();
  /** Uploads with a request in flight: GC must not remove them, shutdown waits for them. */
  readonly active = this.locks.active;

  constructor(
    private readonly dir: string,
    private readonly meta: RegistryMetadata,
    private readonly blobs: BlobStore,
    /** Sessions one owner may have open at once (the store's own uploads have no owner, no cap). */
    private readonly maxOpenPerOwner = Infinity,
  ) {}

  pathOf(id: string): string {
    return join(this.dir, id);
  }

  /**
   * Opens a session. `owner`: who opens it through /v2; past `maxOpenPerOwner` open sessions,
   * TOOMANYREQUESTS (429) until one is finished, cancelled or expired.
   */
  async start(repository: string, owner = ''): Promise<UploadRow> {
    await assertRoomForUpload(this.meta, owner, this.maxOpenPerOwner);
    const id = randomUUID();
    // Active from before its file exists until its row does: GC never takes it for an orphan.
    this.active.add(id);
    try {
      await (await this.createStaging(id)).close();
      // Again, in the insert's own transaction: concurrent starts cannot both take the last slot.
      const row = await this.meta.createUpload(id, repository, owner, this.maxOpenPerOwner);
      if (!row) {
        await rm(this.pathOf(id), { force: true });
        throw tooManyUploads(this.maxOpenPerOwner);
      }
      this.hashes.set(id, { hash: createHash('sha256'), offset: 0 });
      return row;
    } finally {
      this.active.delete(id);
    }
  }

  /** A new, empty staging file; its folder is made on first need (it is gone only if removed by hand). */
  private async createStaging(id: string): Promise<FileHandle> {
    try {
      return await open(this.pathOf(id), 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      await mkdir(this.dir, { recursive: true });
      return open(this.pathOf(id), 'wx');
    }
  }

  async get(repository: string, id: string): Promise<UploadRow> {
    const row = UUID.test(id) ? await this.meta.upload(id) : undefined;
    if (!row || row.repository !== repository) {
      throw new OciError('BLOB_UPLOAD_UNKNOWN', undefined, { id: id.slice(0, 100) });
    }
    return row;
  }

  /**
   * Appends a chunk. `range` is the chunk's Content-Range; it must start at the current offset.
   * A chunk cut short by the client (it hung up, or its connection went idle) keeps the bytes
   * that reached the staging file: the client asks for the offset (GET) and sends the rest.
   */
  async append(
    repository: string,
    id: string,
    body: Readable,
    range?: { start: number; end: number },
  ): Promise<UploadRow> {
    return this.exclusive(id, async () =>
      this.appendLocked(await this.get(repository, id), body, { range, keepReceived: true }),
    );
  }

  /**
   * Finishes an upload (with an optional last chunk, held to its Content-Range `range` as in
   * `append`): verifies the digest and stores the blob. A refused chunk leaves the upload as it was.
   */
  async complete(
    repository: string,
    id: string,
    digest: Digest,
    body?: Readable,
    range?: { start: number; end: number },
  ): Promise<{ digest: Digest; size: number }> {
    return this.exclusive(id, async () => {
      let row = await this.get(repository, id);
      // fsync covers the whole file: the last chunk's own write stream does it, else it is done below.
      if (body) row = await this.appendLocked(row, body, { range, sync: true });
      const path = this.pathOf(id);
      const actual = await this.digestOf(row, algorithmOf(digest));
      if (actual !== digest) {
        await this.remove(id);
        throw new OciError('DIGEST_INVALID', undefined, { expected: digest, actual });
      }
      if (!body) await fsyncFile(path);
      try {
        await this.blobs.commitStaged(repository, path, digest, row.size);
      } catch (err) {
        // Refused (a quota): the upload's bytes go with it, nothing of it stays.
        if (err instanceof OciError && err.code === 'DENIED') await this.remove(id);
        throw err;
      }
      await this.meta.deleteUpload(id);
      this.hashes.delete(id);
      return { digest, size: row.size };
    });
  }

  async cancel(repository: string, id: string): Promise<void> {
    await this.get(repository, id);
    await this.exclusive(id, () => this.remove(id));
  }

  /** Removes an upload's row, staging file and hash state. */
  async remove(id: string): Promise<void> {
    await this.meta.deleteUpload(id);
    this.hashes.delete(id);
    await rm(this.pathOf(id), { force: true });
  }

  /**
   * Writes a chunk at the upload's offset. `sync`: fsync it before the file is closed (the last
   * chunk of a finished upload, which is all or nothing). `keepReceived`: when the client cuts
   * the chunk short, keep what was written instead of going back to the previous offset.
   */
  private async appendLocked(
    row: UploadRow,
    body: Readable,
    options: {
      range?: { start: number; end: number } | undefined;
      sync?: boolean;
      keepReceived?: boolean;
    },
  ): Promise<UploadRow> {
    const { range, sync = false } = options;
    checkStart(row, body, range);
    const path = this.pathOf(row.id);
    const state = this.hashes.get(row.id);
    const hash =
      state && state.offset === row.size
        ? state.hash.copy()
        : row.size === 0
          ? createHash('sha256')
          : undefined;
    let written = 0;
    // The hash state stands for a file written by this process up to row.size exactly (a
    // failed chunk drops it below); otherwise (a restart, a failure) drop any tail first.
    if (!(state && state.offset === row.size)) await truncate(path, row.size);
    // flush: fsync before the stream closes its file (the last chunk of a finished upload).
    const file = createWriteStream(path, {
      flags: 'r+',
      start: row.size,
      highWaterMark: 1024 * 1024,
      flush: sync,
    });
    try {
      await pipeline(
        body,
        async function* (source: AsyncIterable<Buffer>) {
          for await (const chunk of source) {
            hash?.update(chunk);
            written += chunk.length;
            yield chunk;
          }
        },
        file,
      );
      checkLength(range, written);
    } catch (err) {
      // Writes under way finish before the file closes; only then is its length what it holds.
      if (!file.closed) await once(file, 'close').catch(() => undefined);
      if (options.keepReceived && cutByClient(err)) {
        await this.keepReceived(row, hash, written);
      } else {
        this.hashes.delete(row.id);
        await truncate(path, row.size).catch(() => undefined);
      }
      throw err;
    }
    return this.recordSize(row, row.size + written, hash);
  }

  /** After a cut chunk: the session goes on from the bytes that reached the file. */
  private async keepReceived(
    row: UploadRow,
    hash: Hash | undefined,
    written: number,
  ): Promise<void> {
    const size = (await stat(this.pathOf(row.id))).size;
    // The hash saw every byte handed to the file; it stands for the file only if all were written.
    await this.recordSize(row, size, size === row.size + written ? hash : undefined);
  }

  private async recordSize(
    row: UploadRow,
    size: number,
    hash: Hash | undefined,
  ): Promise<UploadRow> {
    await this.meta.setUploadSize(row.id, size);
    if (hash) this.hashes.set(row.id, { hash, offset: size });
    else this.hashes.delete(row.id);
    return { ...row, size };
  }

  private async digestOf(row: UploadRow, algorithm: 'sha256' | 'sha512'): Promise<string> {
    const state = this.hashes.get(row.id);
    if (algorithm === 'sha256' && state && state.offset === row.size) {
      return `sha256:${state.hash.copy().digest('hex')}`;
    }
    const hash = createHash(algorithm);
    await pipeline(
      createReadStream(this.pathOf(row.id), { highWaterMark: 1024 * 1024 }),
      async (source: AsyncIterable<Buffer>) => {
        for await (const chunk of source) hash.update(chunk);
      },
    );
    return `${algorithm}:${hash.digest('hex')}`;
  }

  private exclusive<T>(id: string, work: () => Promise<T>): Promise<T> {
    return this.locks.run(id, work);
  }

  // The file, not the row: after a crash it holds the bytes of a chunk the row never counted.
  async stagedBytes(upload: StaleUpload): Promise<number> {
    return (await stat(this.pathOf(upload.id)).catch(() => undefined))?.size ?? 0;
  }

  discard(upload: StaleUpload): Promise<void> {
    return this.remove(upload.id);
  }

  /** Staging files no row speaks of: left by a killed upload. */
  async sweepOrphans(cutoff: number, dryRun: boolean): Promise<{ count: number; bytes: number }> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    let count = 0;
    let bytes = 0;
    for (const name of names) {
      if (this.active.has(name) || (await this.meta.upload(name))) continue;
      const s = await stat(join(this.dir, name)).catch(() => undefined);
      if (!s || s.mtimeMs > cutoff) continue;
      count++;
      bytes += s.size;
      if (!dryRun) await rm(join(this.dir, name), { force: true });
    }
    return { count, bytes };
  }
}

/** The request body ended early because the client went away (or was cut for idling), not a write failure. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
