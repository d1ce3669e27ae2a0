/**
 * Blob upload sessions staged in storage itself (S3 multipart uploads), so that an upload begun
 * on one process can go on, and end, on any other: the bytes are in the bucket (see
 * multipart-staging.ts) and the state that finds them is in the upload's SQL row.
 *
 * The digest: node:crypto cannot save a running SHA-256, so each process keeps the running hash
 * of the uploads it alone wrote (as the fs sessions do) and completes with no second read. An
 * upload that another process also wrote to (or a sha512 one) is assembled, then read back once,
 * streaming, to verify it before it is copied into place. Only verified bytes ever reach a blob
 * key: an upload that never filled a part is written there at once, after its check, and a blob
 * sent in one request goes straight to a multipart upload of its blob key, completed after it.
 */
import { createHash, randomUUID, type Hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Digest } from '../../schemas/oci.js';
import { OciError } from '../errors.js';
import type { RegistryMetadata, UploadRow } from '../metadata/registry-metadata.js';
import { algorithmOf } from '../names.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { MultipartStore, StorageDriver } from '../storage/driver.js';
import { blobKey } from '../storage/keys.js';
import { PartWriter } from '../storage/part-writer.js';
import type { BlobUploads, StaleUpload } from './blob-uploads.js';
import {
  UPLOADS_FOLDER,
  dataKey,
  parseStaged,
  pendingKey,
  looseStaged,
  pendingPrefix,
  type Staged,
} from './multipart-staging.js';
import { checkLength, checkStart, cutByClient, type ChunkRange } from './chunk-checks.js';
import { assertRoomForUpload, tooManyUploads } from './open-upload-cap.js';
import { UploadLocks } from './upload-locks.js';

interface HashState {
  hash: Hash;
  offset: number;
}

export class MultipartUploadSessions implements BlobUploads {
  private readonly hashes = new Map<string, HashState>();
  private readonly locks = new UploadLocks();
  readonly active = this.locks.active;

  constructor(
    private readonly meta: RegistryMetadata,
    private readonly blobs: BlobStore,
    private readonly driver: StorageDriver,
    private readonly parts: MultipartStore,
    /** Sessions one owner may have open at once (open-upload-cap.ts). */
    private readonly maxOpenPerOwner = Infinity,
  ) {}

  async start(repository: string, owner = ''): Promise<UploadRow> {
    await assertRoomForUpload(this.meta, owner, this.maxOpenPerOwner);
    const id = randomUUID();
    const row = await this.meta.createUpload(id, repository, owner, this.maxOpenPerOwner);
    if (!row) throw tooManyUploads(this.maxOpenPerOwner);
    this.hashes.set(row.id, { hash: createHash('sha256'), offset: 0 });
    return row;
  }

  async get(repository: string, id: string): Promise<UploadRow> {
    const row = UUID.test(id) ? await this.meta.upload(id) : undefined;
    if (!row || row.repository !== repository) {
      throw new OciError('BLOB_UPLOAD_UNKNOWN', undefined, { id: id.slice(0, 100) });
    }
    return row;
  }

  append(repository: string, id: string, body: Readable, range?: ChunkRange): Promise<UploadRow> {
    return this.locks.run(id, async () => {
      const row = await this.get(repository, id);
      checkStart(row, body, range);
      const staged = await this.staged(row);
      const hash = this.runningHash(row, 'sha256');
      const writer = this.writerFor(row, staged, dataKey(row.id), true);
      let recorded = false;
      try {
        // A client that breaks off a PATCH keeps what reached us (as on fs): it is recorded like
        // a whole chunk, then the request fails, and the client resumes from the session's Range.
        const cut = await pour(body, writer, hash, { keepCut: true });
        if (cut === undefined) checkLength(range, writer.written);
        await writer.end();
        // The bytes after the last full part become a pending chunk.
        const rest = await writer.rest(false);
        const partsEnd = writer.etags.length * this.parts.partSize;
        const offset = writer.prefixUsed ? partsEnd : row.size;
        const pending = [...(writer.prefixUsed ? [] : staged.pending)];
        if (rest.length > 0) {
          await this.parts.put(pendingKey(row.id, offset), rest);
          pending.push({ offset, size: rest.length });
        }
        const size = row.size + writer.written;
        const next: Staged = { ...staged, uploadId: writer.uploadId, etags: writer.etags, pending };
        if (!(await this.meta.advanceUpload(row.id, row.size, size, JSON.stringify(next))))
          throw new OciError('BLOB_UPLOAD_INVALID', 'another request wrote to this upload', { id });
        if (writer.prefixUsed) await this.deletePending(row.id, staged);
        if (hash) this.hashes.set(row.id, { hash, offset: size });
        else this.hashes.delete(row.id);
        recorded = true;
        if (cut !== undefined) throw cut;
        return { ...row, size };
      } catch (err) {
        if (recorded) throw err;
        this.hashes.delete(row.id);
        await writer.end().catch(() => undefined); // parts in flight settle; the row never counted them
        throw err;
      }
    });
  }

  async complete(
    repository: string,
    id: string,
    digest: Digest,
    body?: Readable,
    range?: ChunkRange,
  ): Promise<{ digest: Digest; size: number }> {
    // A last chunk with a Content-Range passes the same checks as a PATCH (416 off the offset).
    if (body && range) {
      await this.append(repository, id, body, range);
      body = undefined;
    }
    return this.locks.run(id, async () => {
      const row = await this.get(repository, id);
      const staged = await this.staged(row);
      let size: number;
      try {
        size =
          staged.uploadId === undefined
            ? await this.completeUnparted(row, staged, digest, body)
            : await this.completeParted(row, staged, digest, body);
      } catch (err) {
        // Refused (a quota): the upload's bytes go with it, nothing of it stays.
        if (err instanceof OciError && err.code === 'DENIED' && (await this.meta.upload(row.id)))
          await this.remove(row.id, { completed: !!(await this.driver.stat(dataKey(row.id))) });
        throw err;
      }
      await this.remove(row.id, { completed: true });
      return { digest, size };
    });
  }

  async cancel(repository: string, id: string): Promise<void> {
    await this.get(repository, id);
    await this.locks.run(id, () => this.remove(id));
  }

  /** `completed`: its multipart upload was completed into `data` (nothing to abort). */
  async remove(id: string, options: { completed?: boolean } = {}): Promise<void> {
    const state = await this.meta.uploadState(id);
    await this.meta.deleteUpload(id);
    this.hashes.delete(id);
    await this.dropStaged(id, state, options.completed ?? false);
  }

  /** The row's count: parts a crashed request sent beyond it cannot be listed on every S3. */
  stagedBytes(upload: StaleUpload): Promise<number> {
    return Promise.resolve(upload.size);
  }

  async discard(upload: StaleUpload): Promise<void> {
    this.hashes.delete(upload.id);
    await this.dropStaged(upload.id, upload.state, false);
  }

  /** Objects under _uploads/ of no upload row: left by a crash after a row was deleted. */
  async sweepOrphans(cutoff: number, dryRun: boolean): Promise<{ count: number; bytes: number }> {
    const orphans: string[] = [];
    const young = new Set<string>();
    let bytes = 0;
    for await (const object of this.driver.list(UPLOADS_FOLDER)) {
      const id = object.key.split('/')[1] ?? '';
      if (this.active.has(id) || (await this.meta.upload(id))) continue;
      if (object.modifiedAt.getTime() > cutoff) young.add(id);
      else {
        orphans.push(object.key);
        bytes += object.size;
      }
    }
    const gone = orphans.filter((key) => !young.has(key.split('/')[1] ?? ''));
    if (!dryRun) await this.driver.deleteMany(gone);
    return { count: gone.length, bytes };
  }

  /** Finishes an upload that holds no part yet: everything goes to the blob key once verified. */
  private async completeUnparted(row: UploadRow, staged: Staged, digest: Digest, body?: Readable) {
    const algorithm = algorithmOf(digest);
    const prefix = pendingPrefix(this.driver, row.id, staged);
    let hash = this.runningHash(row, algorithm);
    if (!hash) {
      hash = createHash(algorithm);
      for (const piece of await prefix.load()) hash.update(piece); // under one part: cheap
    }
    const writer = new PartWriter(this.parts, blobKey(digest), { prefix });
    try {
      if (body) await pour(body, writer, hash);
      await writer.end();
      const size = row.size + writer.written;
      await this.verify(row, digest, `${algorithm}:${hash.digest('hex')}`);
      await this.blobs.commit(row.repository, digest, size, {
        place: () => writer.commit(),
        drop: () => writer.abort(),
      });
      return size;
    } catch (err) {
      await writer.abort();
      throw err;
    }
  }

  /** Finishes an upload with parts: completes its multipart object, verifies, copies it in place. */
  private async completeParted(row: UploadRow, staged: Staged, digest: Digest, body?: Readable) {
    const algorithm = algorithmOf(digest);
    const hash = this.runningHash(row, algorithm);
    const writer = this.writerFor(row, staged, dataKey(row.id), false);
    if (body) await pour(body, writer, hash);
    await writer.end();
    const size = row.size + writer.written;
    if (hash) await this.verify(row, digest, `${algorithm}:${hash.digest('hex')}`);
    await writer.commit();
    try {
      if (!hash) await this.verify(row, digest, await this.digestOf(dataKey(row.id), algorithm));
      await this.blobs.commit(row.repository, digest, size, {
        place: () => this.parts.copy(dataKey(row.id), blobKey(digest), size),
        drop: () => Promise.resolve(),
      });
    } catch (err) {
      // Its multipart upload is complete: the session cannot take more bytes.
      if (await this.meta.upload(row.id)) await this.remove(row.id, { completed: true });
      throw err;
    }
    return size;
  }

  /** A mismatch ends the session (as on fs), leaving nothing behind. */
  private async verify(row: UploadRow, expected: Digest, actual: string): Promise<void> {
    if (actual === expected) return;
    await this.remove(row.id, { completed: !!(await this.driver.stat(dataKey(row.id))) });
    throw new OciError('DIGEST_INVALID', undefined, { expected, actual });
  }

  private async digestOf(key: string, algorithm: 'sha256' | 'sha512'): Promise<string> {
    const hash = createHash(algorithm);
    for await (const chunk of (await this.driver.read(key)) as AsyncIterable<Buffer>)
      hash.update(chunk);
    return `${algorithm}:${hash.digest('hex')}`;
  }

  private async staged(row: UploadRow): Promise<Staged> {
    return parseStaged(await this.meta.uploadState(row.id), row.size, this.parts.partSize);
  }

  /** This process's running hash of the upload, if it saw every byte; else undefined. */
  private runningHash(row: UploadRow, algorithm: 'sha256' | 'sha512'): Hash | undefined {
    if (algorithm !== 'sha256') return undefined;
    const state = this.hashes.get(row.id);
    if (state && state.offset === row.size) return state.hash.copy();
    return row.size === 0 ? createHash('sha256') : undefined;
  }

  private writerFor(row: UploadRow, staged: Staged, key: string, record: boolean): PartWriter {
    return new PartWriter(this.parts, key, {
      uploadId: staged.uploadId,
      etags: staged.etags,
      prefix: pendingPrefix(this.driver, row.id, staged),
      // Recorded at once, so that a crash before the chunk's end still leaves it findable.
      ...(record && {
        onCreated: (uploadId: string) =>
          void this.meta
            .advanceUpload(row.id, row.size, row.size, JSON.stringify({ ...staged, uploadId }))
            // Best effort: the chunk's own advance records the upload id too.
            .catch(() => false),
      }),
    });
  }

  private async deletePending(id: string, staged: Staged): Promise<void> {
    const keys = staged.pending.map((p) => pendingKey(id, p.offset));
    await this.driver.deleteMany(keys).catch(() => undefined); // what stays, remove() sweeps
  }

  /**
   * Aborts the multipart upload, or deletes the object it was completed into, and deletes the
   * pending chunks. Objects of a request that failed before its row counted them are GC's
   * (sweepOrphans) once the row is gone.
   */
  private async dropStaged(id: string, state: string | null | undefined, completed: boolean) {
    const staged = looseStaged(state);
    const keys = (staged.pending ?? []).map((p) => pendingKey(id, p.offset));
    if (staged.uploadId && completed) keys.push(dataKey(id));
    // Best effort: some services cannot abort (s3rver); a bucket lifecycle rule that aborts
    // incomplete multipart uploads after a day catches what stays.
    else if (staged.uploadId)
      await this.parts.abort(dataKey(id), staged.uploadId).catch(() => undefined);
    if (keys.length > 0) await this.driver.deleteMany(keys);
  }
}

/**
 * Writes the body into the parts, hashing it. `keepCut`: a body the client broke off ends the
 * pour (returning its error) instead of failing it; the hash and the writer then hold the same
 * bytes, since only the body's own iteration failed. A failing write always throws.
 */
async function pour(
  body: Readable,
  writer: PartWriter,
  hash: Hash | undefined,
  options: { keepCut?: boolean } = {},
): Promise<unknown> {
  const chunks = (body as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  for (;;) {
    let next: IteratorResult<Buffer>;
    try {
      next = await chunks.next();
    } catch (err) {
      if (options.keepCut && cutByClient(err)) return err;
      throw err;
    }
    if (next.done) return undefined;
    hash?.update(next.value);
    try {
      await writer.write(next.value);
    } catch (err) {
      await chunks.return?.(); // as for-await would: the body is let go
      throw err;
    }
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
