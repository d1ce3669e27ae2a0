import type { Readable, Writable } from 'node:stream';

export interface ObjectInfo {
  key: string;
  size: number;
  modifiedAt: Date;
}

/** An inclusive byte range, as HTTP `Range` gives it. */
export interface ByteRange {
  start: number;
  end: number;
}

export type StorageErrorCode = 'not_found' | 'invalid_key' | 'io';

export class StorageError extends Error {
  override readonly name = 'StorageError';
  constructor(
    readonly code: StorageErrorCode,
    readonly driver: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${driver}: ${message}`, options);
  }
}

/**
 * What a blob storage backend must do. Keys are slash-separated relative paths (see keys.ts).
 * Every write is all or nothing: a reader never sees a partially written object.
 */
export interface StorageDriver {
  readonly name: 'fs' | 's3';
  /** Absent → undefined, not an error. */
  stat(key: string): Promise<ObjectInfo | undefined>;
  /** Absent → StorageError('not_found'). */
  read(key: string, range?: ByteRange): Promise<Readable>;
  /**
   * Opens a range of the object to be sent: fails like `read` before anything is sent,
   * then the returned function writes the bytes into `out` and ends it. For the registry's blob
   * GET, where a driver may do better than a stream (the filesystem driver reuses its buffers).
   */
  openToSend(key: string, range: ByteRange): Promise<(out: Writable) => Promise<void>>;
  /** Writes the whole stream, then makes it visible under `key` at once. */
  write(key: string, body: Readable, signal?: AbortSignal): Promise<ObjectInfo>;
  /**
   * Takes over a complete, fsynced local file (an upload's staging file) as `key`: a rename on
   * the filesystem driver, an upload on remote ones. The local file is gone afterwards.
   */
  adopt(localPath: string, key: string): Promise<void>;
  /** An absent key is fine. */
  delete(key: string): Promise<void>;
  /** Deletes many keys in as few requests as the backend allows; absent keys are fine. */
  deleteMany(keys: readonly string[]): Promise<void>;
  /** Every object under the folder `prefix`. */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /**
   * Present when the driver is set to send readers to the backend itself (S3 with
   * `redirectBlobGets`): a URL from which anyone holding it can GET the object, whole or with
   * their own `Range`, for some minutes, without other credentials.
   */
  readonly redirectUrl?: (key: string) => Promise<string>;
  /**
   * Present on drivers whose backend has multipart uploads (S3): the registry then stages blob
   * uploads in storage itself, so any process can continue them, instead of in a local folder.
   */
  readonly multipart?: MultipartStore;
}

/**
 * An object written as numbered parts, by any process, and made visible at once by `complete`
 * (S3 multipart uploads). Parts of an unfinished upload are never visible under its key.
 */
export interface MultipartStore {
  /** Every part but the last must hold at least this many bytes (S3: 5 MiB). */
  readonly minPartSize: number;
  /** The size the registry cuts parts to (at least minPartSize). */
  readonly partSize: number;
  /** Starts a multipart upload of `key`; returns its upload id. */
  create(key: string): Promise<string>;
  /** Stores part `partNumber` (from 1); returns its ETag. */
  uploadPart(key: string, uploadId: string, partNumber: number, body: Buffer): Promise<string>;
  /** Makes parts 1..n (their ETags in order) the object at `key`. */
  complete(key: string, uploadId: string, etags: readonly string[]): Promise<void>;
  /** Drops an unfinished upload and its parts (best effort: some services cannot). */
  abort(key: string, uploadId: string): Promise<void>;
  /** Writes a small object at once. */
  put(key: string, body: Buffer): Promise<void>;
  /** Copies an object of `size` bytes inside the backend, without its bytes passing through here. */
  copy(from: string, to: string, size: number): Promise<void>;
}
