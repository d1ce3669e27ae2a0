import type { Readable } from 'node:stream';

/**
 * Reads a whole stream into memory, up to `limit` bytes; past it, throws `tooLarge()` without
 * reading the rest. `drain` keeps consuming the source (an HTTP request whose answer is still to
 * be sent) instead of destroying it.
 */
export async function readLimited(
  stream: Readable,
  limit: number,
  tooLarge: () => Error,
  options: { drain?: boolean } = {},
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      if (options.drain) stream.resume();
      else stream.destroy();
      throw tooLarge();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}
