/**
 * Sends part of an open file into a writable (a blob GET's response) through a few reused
 * buffers. A read stream allocates a fresh 1 MiB buffer per read, which the garbage collector
 * and the allocator then have to take back: for a 2 GiB blob that is 2,048 buffers, and it
 * showed as CPU time per GiB growing with the blob and as peak memory. Here a buffer goes back
 * to the pool when the socket has taken its bytes (the write callback), so at most
 * SEND_BUFFERS × SEND_CHUNK bytes are held, and reading the next chunk overlaps sending
 * the previous ones.
 */
import type { FileHandle } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';

const SEND_CHUNK = 1024 * 1024;
const SEND_BUFFERS = 4;

/** Writes bytes [start, end) of `file` into `out`, then ends it; rejects if `out` closes first. */
export async function sendFileRange(
  file: FileHandle,
  out: Writable,
  start: number,
  end: number,
): Promise<void> {
  // Allocated on need: a small blob takes one buffer, and a fast reader rarely needs all four.
  const chunk = Math.min(SEND_CHUNK, Math.max(end - start, 1));
  const free: Buffer[] = [];
  let allocated = 0;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const signal = (): void => {
    const resume = wake;
    wake = undefined;
    resume?.();
  };
  const onClose = (): void => {
    if (!out.writableFinished) failure ??= receiverGone();
    signal();
  };
  out.on('close', onClose);
  try {
    for (let position = start; position < end;) {
      while (free.length === 0 && allocated === SEND_BUFFERS && !failure)
        await new Promise<void>((resume) => (wake = resume));
      if (failure) throw failure;
      const buffer = free.pop() ?? (allocated++, Buffer.allocUnsafeSlow(chunk));
      const { bytesRead } = await file.read(
        buffer,
        0,
        Math.min(buffer.length, end - position),
        position,
      );
      if (bytesRead === 0) throw new Error(`file ends at ${position}, before ${end}`);
      position += bytesRead;
      if (failure) throw failure;
      out.write(bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead), (err) => {
        if (err) failure ??= receiverGone(err); // a response write fails only when the peer is gone
        free.push(buffer);
        signal();
      });
    }
    out.end();
    await finished(out);
  } finally {
    out.off('close', onClose);
  }
}

/** Named as a stream's premature close, so the router tells a client that left from a fault. */
function receiverGone(cause?: Error): Error {
  return Object.assign(new Error('the receiver closed before the end', { cause }), {
    code: 'ERR_STREAM_PREMATURE_CLOSE',
  });
}
