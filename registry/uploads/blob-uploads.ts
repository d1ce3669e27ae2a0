/**
 * Blob upload sessions, as the /v2 handlers, the store and GC use them. Two kinds implement it:
 * UploadSessions stages in local files (the fs driver), MultipartUploadSessions in the storage
 * itself (S3 multipart uploads), so that any process can continue an upload.
 */
import type { Readable } from 'node:stream';
import type { Digest } from '../../schemas/oci.js';
import type { UploadRow } from '../metadata/registry-metadata.js';

/** An upload GC found idle too long; its row may be deleted already. */
export interface StaleUpload {
  id: string;
  size: number;
  state: string | null;
}

export interface BlobUploads {
  /** Uploads with a request in flight: GC must not remove them, shutdown waits for them. */
  readonly active: Set<string>;
  /** Opens a session; `owner` (who opens it through /v2) is held to `registry.maxOpenUploads`. */
  start(repository: string, owner?: string): Promise<UploadRow>;
  /** The session, or OciError BLOB_UPLOAD_UNKNOWN. */
  get(repository: string, id: string): Promise<UploadRow>;
  /** Appends a chunk. `range` is the chunk's Content-Range; it must start at the current offset. */
  append(
    repository: string,
    id: string,
    body: Readable,
    range?: { start: number; end: number },
  ): Promise<UploadRow>;
  /** Finishes an upload (with an optional last chunk): verifies the digest and stores the blob. */
  complete(
    repository: string,
    id: string,
    digest: Digest,
    body?: Readable,
    range?: { start: number; end: number },
  ): Promise<{ digest: Digest; size: number }>;
  cancel(repository: string, id: string): Promise<void>;
  /** Removes an upload's row and everything staged for it. */
  remove(id: string): Promise<void>;
  /** GC: the bytes a stale upload holds. */
  stagedBytes(upload: StaleUpload): Promise<number>;
  /** GC: drops what a stale upload staged (its row is gone already). */
  discard(upload: StaleUpload): Promise<void>;
  /** GC: staged bytes that no upload row speaks of, older than `cutoff`; kept on a dry run. */
  sweepOrphans(cutoff: number, dryRun: boolean): Promise<{ count: number; bytes: number }>;
}
