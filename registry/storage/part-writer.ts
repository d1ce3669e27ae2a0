/**
 * Cuts a stream of bytes into parts of exactly `partSize` bytes and uploads them as parts of a
 * multipart upload, a few at a time, through a small pool of reused buffers: memory stays at
 * (concurrency + 1) × partSize whatever the object's size. The multipart upload is created
 * only when the first part is due, so an object that never fills a part costs one PUT.
 *
 * Bytes written before (an upload's pending chunks, kept as small objects) can lead: `prefix`
 * reserves their room at the start of the first part and loads them only if that part fills, or
 * when the object is committed.
 */
import type { MultipartStore } from './driver.js';

export interface PartPrefix {
  size: number;
  load(): Promise<Buffer[]>;
}

export interface PartWriterOptions {
  /** A multipart upload already holding `etags.length` full parts. */
  uploadId?: string | undefined;
  etags?: readonly string[];
  prefix?: PartPrefix;
  /** Told the upload id as soon as the upload exists (to record it before parts are sent). */
  onCreated?: (uploadId: string) => void;
  concurrency?: number;
}

export class PartWriter {
  uploadId: string | undefined;
  /** ETags of the full parts written, in order. */
  readonly etags: string[];
  /** Bytes given to write(). */
  written = 0;
  /** Whether the prefix went into a part (or into `rest()`), so its objects are no longer needed. */
  prefixUsed = false;

  private readonly concurrency: number;
  private readonly prefix: PartPrefix;
  private readonly free: Buffer[] = [];
  private allocated = 0;
  private current: Buffer | undefined;
  private fill: number;
  private readonly inFlight = new Set<Promise<void>>();
  private failure: unknown;
  private creating: Promise<string> | undefined;
  private nextPart: number;

  constructor(
    private readonly store: MultipartStore,
    readonly key: string,
    private readonly options: PartWriterOptions = {},
  ) {
    this.uploadId = options.uploadId;
    this.etags = [...(options.etags ?? [])];
    this.prefix = options.prefix ?? { size: 0, load: () => Promise.resolve([]) };
    this.concurrency = options.concurrency ?? 3;
    this.fill = this.prefix.size;
    this.nextPart = this.etags.length + 1;
    if (this.prefix.size >= store.partSize) throw new Error('prefix larger than a part');
  }

  async write(chunk: Buffer): Promise<void> {
    this.written += chunk.length;
    for (let at = 0; at < chunk.length;) {
      this.throwIfFailed();
      this.current ??= await this.takeBuffer();
      const n = chunk.copy(this.current, this.fill, at);
      this.fill += n;
      at += n;
      if (this.fill === this.current.length) await this.sendCurrent();
    }
  }

  /** Waits for the parts in flight; afterwards only `rest()` is not uploaded. */
  async end(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.race(this.inFlight);
    this.throwIfFailed();
  }

  /**
   * After end(): the bytes after the last full part, the new ones only or with the prefix
   * (`withPrefix`). A view of the writer's buffer: use it before writing again.
   */
  async rest(withPrefix: boolean): Promise<Buffer> {
    if (this.prefixUsed || !withPrefix) {
      const from = this.prefixUsed ? 0 : this.prefix.size;
      return (this.current ?? Buffer.alloc(0)).subarray(from, Math.max(from, this.fill));
    }
    this.current ??= await this.takeBuffer();
    await this.loadPrefix(this.current);
    return this.current.subarray(0, this.fill);
  }

  /** Makes the whole object (prefix included) visible at `key`. */
  async commit(): Promise<void> {
    await this.end();
    const last = await this.rest(true);
    if (this.uploadId === undefined && this.etags.length === 0) {
      await this.store.put(this.key, last);
      return;
    }
    const uploadId = await this.ensureUpload();
    // The last part may be short; a zero-length one is needed only when no part was written.
    if (last.length > 0 || this.etags.length === 0)
      this.etags.push(await this.store.uploadPart(this.key, uploadId, this.nextPart++, last));
    await this.store.complete(this.key, uploadId, this.etags);
  }

  /** Drops the multipart upload, if one was made (best effort). */
  async abort(): Promise<void> {
    await Promise.allSettled(this.inFlight);
    if (this.uploadId !== undefined)
      await this.store.abort(this.key, this.uploadId).catch(() => undefined);
  }

  private async sendCurrent(): Promise<void> {
    const buffer = this.current!;
    this.current = undefined;
    this.fill = 0;
    if (!this.prefixUsed) await this.loadPrefix(buffer);
    const partNumber = this.nextPart++;
    const uploadId = await this.ensureUpload();
    const upload = this.store
      .uploadPart(this.key, uploadId, partNumber, buffer)
      .then((etag) => {
        this.etags[partNumber - 1] = etag;
      })
      .catch((err: unknown) => {
        this.failure ??= err;
      })
      .finally(() => {
        this.inFlight.delete(upload);
        this.free.push(buffer);
      });
    this.inFlight.add(upload);
    while (this.inFlight.size >= this.concurrency) await Promise.race(this.inFlight);
  }

  private async loadPrefix(buffer: Buffer): Promise<void> {
    this.prefixUsed = true;
    if (this.prefix.size === 0) return;
    let at = 0;
    for (const piece of await this.prefix.load()) at += piece.copy(buffer, at);
    if (at !== this.prefix.size)
      throw new Error(`pending bytes: expected ${this.prefix.size}, found ${at}`);
  }

  private ensureUpload(): Promise<string> {
    if (this.uploadId !== undefined) return Promise.resolve(this.uploadId);
    this.creating ??= this.store.create(this.key).then((id) => {
      this.uploadId = id;
      this.options.onCreated?.(id);
      return id;
    });
    return this.creating;
  }

  private async takeBuffer(): Promise<Buffer> {
    while (this.free.length === 0 && this.allocated > this.concurrency && this.inFlight.size > 0)
      await Promise.race(this.inFlight);
    const reused = this.free.pop();
    if (reused) return reused;
    this.allocated++;
    return Buffer.allocUnsafeSlow(this.store.partSize);
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}
