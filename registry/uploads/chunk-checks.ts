/** The checks a chunk (PATCH, or the body of the closing PUT) must pass, as OCI errors. */
import type { Readable } from 'node:stream';
import { OciError } from '../errors.js';
import type { UploadRow } from '../metadata/registry-metadata.js';

/** A chunk's Content-Range (inclusive). */
export type ChunkRange = { start: number; end: number };

export function checkStart(row: UploadRow, body: Readable, range: ChunkRange | undefined): void {
  if (range && range.start !== row.size) {
    body.resume();
    throw new OciError('RANGE_INVALID', 'chunk does not start at the current offset', {
      offset: row.size,
      start: range.start,
    }).withHeader('Range', `0-${Math.max(row.size - 1, 0)}`);
  }
}

export function checkLength(range: ChunkRange | undefined, written: number): void {
  if (range && written !== range.end - range.start + 1) {
    throw new OciError('SIZE_INVALID', 'chunk length does not match Content-Range', {
      range,
      received: written,
    });
  }
}

/**
 * Whether a chunk failed because the client's connection broke (or the idle timeout cut it):
 * a PATCH then keeps the bytes received, and the client resumes from the session's Range.
 */
export function cutByClient(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE';
}
