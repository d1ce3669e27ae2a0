/**
 * Tee of one upstream blob into storage and to the client that asked first. Storage gets every
 * byte; the client gets the same bytes as they arrive (its first bytes before the upstream is
 * done), and a client that hangs up is dropped while the copy into storage goes on. Storage
 * writes are all or nothing and the body is verified against its digest, so a blob half
 * fetched (upstream gone mid-way) never becomes visible: the client that was streaming sees a
 * cut connection, the next pull starts afresh. The client's last byte goes only once the blob
 * is stored, so a client that has the whole blob can count on the cache having it too.
 */
import { PassThrough, type Readable, type Writable } from 'node:stream';

/** How far storage or the client may fall behind the upstream before the upstream is paused. */
const BUFFER_BYTES = 4 * 1024 * 1024;
/**
 * Upstream chunks (one socket read each, some 64 KiB) are gathered into writes of this size:
 * a write per chunk, to the file and to the client's socket, was most of a cold pull's CPU
 * time (a syscall and a thread-pool round trip each, for a few dozen KiB).
 */
const BATCH_BYTES = 1024 * 1024;
/** A batch that has not filled goes after this long: a slow upstream still streams promptly. */
const BATCH_WAIT_MS = 5;

export class BlobFill {
  /** Resolves once the blob is stored (rejects when the fetch or the store failed). */
  readonly stored: Promise<void>;
  private client: Writable | undefined;
  private readonly toStore = new PassThrough({ highWaterMark: BUFFER_BYTES });
  private batch: Buffer[] = [];
  private batchBytes = 0;
  private batchTimer: NodeJS.Timeout | undefined;
  /** Bytes gone to storage so far. */
  private offset = 0;
  /** The blob's last byte, kept from the client until the blob is stored (see 'end'). */
  private heldBack: Buffer[] = [];

  constructor(
    private readonly source: Readable,
    /** The blob's size (the upstream's Content-Length; the body is verified against it). */
    private readonly size: number,
    store: (body: Readable) => Promise<void>,
  ) {
    // The store may not be reading yet (it opens its file first) when the upstream fails: the
    // failure reaches it as a destroyed body and `stored` rejects; an unheard 'error' event
    // would instead throw out of the event loop and take the process down.
    this.toStore.on('error', () => undefined);
    this.stored = store(this.toStore);
    // Whatever happens to the store's copy, a failure is the caller's to see, not unhandled.
    this.stored.catch(() => undefined);
    source.on('data', (chunk: Buffer) => this.gather(chunk));
    source.once('end', () => {
      this.flush();
      this.toStore.end();
      // The client's last byte goes once the blob is stored: whoever has it whole finds it here.
      this.stored.then(
        () => this.client?.end(Buffer.concat(this.heldBack)),
        () => this.client?.destroy(), // a cut connection: the client sees a short body
      );
    });
    source.on('error', (err) => {
      clearTimeout(this.batchTimer);
      this.toStore.destroy(err);
      this.client?.destroy(); // a cut connection (the store's failure is the caller's to report)
    });
  }

  /** Streams the blob to `client` from its first byte on (call before any data flowed). */
  attach(client: Writable): void {
    this.client = client;
    const drop = (): void => {
      if (this.client !== client) return;
      this.client = undefined;
      this.source.resume(); // the store's pace alone from now on
    };
    client.once('close', drop);
    client.once('error', drop);
  }

  private gather(chunk: Buffer): void {
    this.batch.push(chunk);
    this.batchBytes += chunk.length;
    if (this.batchBytes >= BATCH_BYTES) this.flush();
    else this.batchTimer ??= setTimeout(() => this.flush(), BATCH_WAIT_MS);
  }

  private flush(): void {
    clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    if (this.batchBytes === 0) return;
    const bytes =
      this.batch.length === 1 ? this.batch[0]! : Buffer.concat(this.batch, this.batchBytes);
    this.batch = [];
    this.batchBytes = 0;
    const storeFull = !this.toStore.write(bytes);
    // Everything up to the blob's last byte goes to the client at once; that byte waits.
    const toClient = Math.max(0, Math.min(bytes.length, this.size - 1 - this.offset));
    this.offset += bytes.length;
    const client = this.client;
    if (toClient < bytes.length) this.heldBack.push(bytes.subarray(toClient));
    if (client && toClient > 0) client.write(bytes.subarray(0, toClient));
    // A socket's own high-water mark (16 KiB) is below one batch: waiting for its 'drain'
    // after every batch would pace the upstream by loopback round trips. Only a client that
    // falls a few MiB behind slows the copy.
    const clientFull = client !== undefined && client.writableLength >= BUFFER_BYTES;
    if (!storeFull && !clientFull) return;
    // Go on when both have room (or the client left): the slower one sets the pace.
    this.source.pause();
    let waiting = (storeFull ? 1 : 0) + (clientFull ? 1 : 0);
    const go = (): void => {
      if (--waiting === 0) this.source.resume();
    };
    if (storeFull) this.toStore.once('drain', go);
    if (clientFull) {
      const onDrain = (): void => {
        client.off('close', onDrain);
        go();
      };
      client.once('drain', onDrain);
      client.once('close', onDrain);
    }
  }
}
