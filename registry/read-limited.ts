import type { Readable } from 'node:stream';

/**
 * Reads a whole stream into memory, up to `limit` bytes; past it, throws `tooLarge()` without
 * reading the rest. Leaving the loop destroys the stream through node's own destroyer, which
 * detaches an HTTP request from its connection first: the connection stays for the answer.
 */
export async function readLimited(
  stream: Readable,
  limit: number,
  tooLarge: () => Error,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}
