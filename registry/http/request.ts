import type { IncomingMessage } from 'node:http';
import { OciError } from '../errors.js';
import { readLimited } from '../read-limited.js';

/**
 * Reads a request body up to `limit` bytes. A body announced (Content-Length) or found larger
 * gets TOO_LARGE (413) at once, and the rest is not read: the answer closes the connection.
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = (): OciError =>
    new OciError('TOO_LARGE', `body larger than ${limit} bytes`, { limit }).withHeader(
      'Connection',
      'close',
    );
  if (Number(req.headers['content-length'] ?? NaN) > limit) throw tooLarge();
  return readLimited(req, limit, tooLarge);
}

/** Parses `n` and `last` of a paginated list. */
export function parsePage(query: URLSearchParams, max = 1000): { n: number; last: string } {
  const rawN = query.get('n');
  let n = max;
  if (rawN !== null) {
    if (!/^\d{1,9}$/.test(rawN))
      throw new OciError('PAGINATION_NUMBER_INVALID', undefined, { n: rawN.slice(0, 20) });
    n = Math.min(Number(rawN), max);
  }
  return { n, last: beforeNul(query.get('last') ?? '') };
}

/**
 * `last` up to its first U+0000. No tag or repository name holds one, so the names after
 * `a<NUL>b` are exactly those after `a`; and PostgreSQL refuses to compare text with a NUL (a
 * 500, where SQLite compares): cut there, both engines page alike and the client gets its page.
 */
function beforeNul(last: string): string {
  const nul = last.indexOf('\u0000');
  return nul === -1 ? last : last.slice(0, nul);
}

/** `Content-Range: <start>-<end>` of a chunk upload, or undefined when absent. */
export function parseContentRange(
  header: string | undefined,
): { start: number; end: number } | undefined {
  if (header === undefined) return undefined;
  const m = /^(?:bytes[ =])?(\d{1,15})-(\d{1,15})$/.exec(header.trim());
  if (!m)
    throw new OciError('RANGE_INVALID', 'malformed Content-Range', {
      contentRange: header.slice(0, 100),
    });
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (end < start)
    throw new OciError('RANGE_INVALID', 'Content-Range end before start', { contentRange: header });
  return { start, end };
}

/** A single `Range: bytes=a-b | a- | -n` against a blob of `size` bytes; undefined → whole blob. */
export function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | undefined {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d{0,15})-(\d{0,15})$/.exec(header.trim());
  const unsatisfiable = (): OciError =>
    new OciError('RANGE_INVALID', undefined, { range: header.slice(0, 100), size }).withHeader(
      'Content-Range',
      `bytes */${size}`,
    );
  if (!m || (m[1] === '' && m[2] === '')) throw unsatisfiable();
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) throw unsatisfiable();
    return { start: Math.max(size - suffix, 0), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) throw unsatisfiable();
  return { start, end };
}
