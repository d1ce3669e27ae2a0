/**
 * A pipeline stage that passes exactly `length` bytes: it stops reading once they are through
 * (a backend that ignores part of a Range header; s3rver 3.7 answers `bytes=0-0` with the whole
 * object) and fails when fewer arrive, so a response never carries other bytes than its
 * Content-Length promised.
 */
export function exactLength(length: number) {
  return async function* (source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    let left = length;
    if (left === 0) return;
    for await (const chunk of source) {
      const piece = chunk.length <= left ? chunk : chunk.subarray(0, left);
      left -= piece.length;
      yield piece;
      if (left === 0) return; // leaving the loop destroys the source: nothing more is read
    }
    throw new Error(`object ended ${left} bytes early`);
  };
}
