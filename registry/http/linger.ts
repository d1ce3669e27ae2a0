/**
 * Closing a connection whose request body the registry will not read (an oversized manifest),
 * without losing the answer. A socket closed while the client's bytes still arrive makes the
 * kernel reset the connection, and the reset can beat the answer: the client sees EPIPE or
 * ECONNRESET instead of 413. So, as web servers do ("lingering close"): the answer, then FIN,
 * then what the client still sends is read and dropped for a moment, then the socket closes.
 */
import type { ServerResponse } from 'node:http';

const LINGER_MS = 2000;
const LINGER_BYTES = 64 * 1024 * 1024;

/** Call before the answer is written; the answer must carry `Connection: close`. */
export function closeAfterAnswer(res: ServerResponse): void {
  const socket = res.socket;
  if (!socket || socket.destroyed) return;
  // node:http ends a `Connection: close` exchange with socket.destroySoon(): FIN, then close as
  // soon as the answer is written. This socket lingers instead.
  socket.destroySoon = function lingerThenClose(): void {
    if (this.writable) this.end();
    let dropped = 0;
    const close = (): void => void this.destroy();
    const timer = setTimeout(close, LINGER_MS).unref();
    this.on('data', (chunk: Buffer) => {
      dropped += chunk.length;
      if (dropped > LINGER_BYTES) close();
    });
    this.once('end', close); // the client is done sending
    this.once('close', () => clearTimeout(timer));
    this.resume();
  };
}
