/** Response bodies as Node streams whose failures are ClientErrors (so retries can see them). */
import { Readable } from 'node:stream';
import { errorFromFetchFailure } from './errors.js';

/** A Node stream over a fetch body; a broken connection fails it with ClientError('network'). */
export function bodyStream(
  res: Response,
  method: string,
  url: string,
  signal?: AbortSignal,
): Readable {
  const body = res.body;
  async function* pump(): AsyncGenerator<Buffer> {
    if (!body) return;
    try {
      for await (const chunk of body)
        yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    } catch (err) {
      throw errorFromFetchFailure(err, method, url, signal);
    }
  }
  return Readable.from(pump(), { objectMode: false });
}

/** Drops the first `count` bytes of a stream (for a server that ignored our Range header). */
export function skipBytes(source: Readable, count: number): Readable {
  let left = count;
  async function* pump(): AsyncGenerator<Buffer> {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      if (left >= chunk.length) {
        left -= chunk.length;
        continue;
      }
      yield left > 0 ? chunk.subarray(left) : chunk;
      left = 0;
    }
  }
  return Readable.from(pump(), { objectMode: false });
}
