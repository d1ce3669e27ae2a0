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
  list(prefix: string): AsyncIterable<ObjectInfo>;
}
