/**
 * Tee of one upstream blob into storage and to the client that asked first. Storage gets every
 * byte; the client gets the same bytes as they arrive (its first bytes before the upstream is
 * done), and a client that hangs up is dropped while the copy into storage goes on. Storage
 * writes are all or nothing and the body is verified against its digest and size here, so a
 * blob half fetched (upstream gone mid-way) or not the one asked for never becomes visible: the
 * client that was streaming sees a cut connection, the next pull starts afresh. The client's
 * last byte is held back until the body is whole and its digest checked: a client never holds
 * a whole blob that was not the one asked for. Storing (the file's flush, fsync and rename, the
 * row) goes on after that byte: waiting for it cost each cold pull an fsync per blob (tens to
 * hundreds of ms on a busy disk) for no gain to the client, whose pulls of the same blob in the
 * meantime wait for it to be stored (the coalescer); if storing fails the next pull fetches.
 *
 * One pass over each upstream chunk: it is hashed and counted, then gathered into a batch that
 * goes to the store's stream and to the client's socket. No stream sits between the upstream's
 * body and here (a verifying or timing Transform per chunk cost more than the hashing itself).
 */
import { createHash, type Hash } from 'node:crypto';
import { Readable, type Writable } from 'node:stream';
import type { Digest } from '../../schemas/oci.js';
import { algorithmOf } from '../names.js';

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

export class BlobMismatchError extends Error {
  override readonly name = 'BlobMismatchError';
}

export class BlobFill {
  /** Resolves once the blob is stored (rejects when the fetch, the check or the store failed). */
  readonly stored: Promise<void>;
  private client: Writable | undefined;
  /** What the store reads: the batches, pushed as they are made. */
  private readonly toStore: Readable;
  private readonly hash: Hash;
  /** Bytes received from the upstream so far (hashed). */
  private received = 0;
  private batch: Buffer[] = [];
  private batchBytes = 0;
  private batchTimer: NodeJS.Timeout | undefined;
  /** Bytes gone to storage so far. */
  private offset = 0;
  /** The blob's last byte, kept from the client until the body is verified (see finish). */
  private heldBack: Buffer[] = [];
  /** The store's stream is over its buffer: the upstream waits for its next read. */
  private storeFull = false;
  /** The client's socket is over its buffer: the upstream waits for its 'drain' (or close). */
  private clientFull = false;
  private failed = false;

  constructor(
    private readonly source: Readable,
    private readonly expected: { digest: Digest; size: number },
    store: (body: Readable) => Promise<void>,
  ) {
    this.hash = createHash(algorithmOf(expected.digest));
    this.toStore = new Readable({
      highWaterMark: BUFFER_BYTES,
      read: () => {
        if (!this.storeFull) return;
        this.storeFull = false;
        this.resumeIfRoom();
      },
    });
    // The store may not be reading yet (it opens its file first) when the upstream fails: the
    // failure reaches it as a destroyed body and `stored` rejects; an unheard 'error' event
    // would instead throw out of the event loop and take the process down.
    this.toStore.on('error', () => undefined);
    this.stored = store(this.toStore);
    // Whatever happens to the store's copy, a failure is the caller's to see, not unhandled;
    // and once the store gave up, nothing more is read from the upstream.
    this.stored.catch(() => this.fail(undefined));
    source.on('data', (chunk: Buffer) => this.receive(chunk));
    source.once('end', () => this.finish());
    source.on('error', (err) => this.fail(err));
  }

  /** Streams the blob to `client` from its first byte on (call before any data flowed). */
  attach(client: Writable): void {
    this.client = client;
    const drop = (): void => {
      if (this.client !== client) return;
      this.client = undefined;
      this.clientFull = false;
      this.resumeIfRoom(); // the store's pace alone from now on
    };
    client.once('close', drop);
    client.once('error', drop);
  }

  private receive(chunk: Buffer): void {
    if (this.failed) return;
    this.received += chunk.length;
    if (this.received > this.expected.size) {
      this.fail(this.mismatch());
      return;
    }
    this.hash.update(chunk);
    this.batch.push(chunk);
    this.batchBytes += chunk.length;
    if (this.batchBytes >= BATCH_BYTES) this.flush();
    else this.batchTimer ??= setTimeout(() => this.flush(), BATCH_WAIT_MS);
  }

  /** The upstream is done: the store gets its end only when digest and size match. */
  private finish(): void {
    if (this.failed) return;
    const digest = `${algorithmOf(this.expected.digest)}:${this.hash.digest('hex')}`;
    if (this.received !== this.expected.size || digest !== this.expected.digest) {
      this.fail(this.mismatch(digest));
      return;
    }
    this.flush();
    this.toStore.push(null);
    // Whole and verified: the client's last byte goes now, while the store finishes its copy.
    this.client?.end(Buffer.concat(this.heldBack));
    this.heldBack = [];
  }

  /** The fetch, the check or the store failed: nothing is stored, the client sees a cut. */
  private fail(err: Error | undefined): void {
    if (this.failed) return;
    this.failed = true;
    clearTimeout(this.batchTimer);
    this.batch = [];
    this.heldBack = [];
    this.toStore.destroy(err);
    if (!this.source.destroyed) this.source.destroy();
    this.client?.destroy(); // a cut connection (the store's failure is the caller's to report)
  }

  private mismatch(digest?: string): BlobMismatchError {
    const { digest: wanted, size } = this.expected;
    const what =
      this.received !== size
        ? `${this.received} bytes${this.received > size ? ' or more' : ''}, expected ${size}`
        : `digest ${digest ?? '?'}`;
    return new BlobMismatchError(`upstream content of ${wanted} does not match: ${what}`);
  }

  private flush(): void {
    clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    if (this.batchBytes === 0 || this.failed) return;
    const bytes =
      this.batch.length === 1 ? this.batch[0]! : Buffer.concat(this.batch, this.batchBytes);
    this.batch = [];
    this.batchBytes = 0;
    if (!this.toStore.push(bytes)) this.storeFull = true;
    // Everything up to the blob's last byte goes to the client at once; that byte waits.
    const toClient = Math.max(0, Math.min(bytes.length, this.expected.size - 1 - this.offset));
    this.offset += bytes.length;
    const client = this.client;
    if (toClient < bytes.length) this.heldBack.push(bytes.subarray(toClient));
    if (client && toClient > 0) client.write(bytes.subarray(0, toClient));
    // A socket's own high-water mark (16 KiB) is below one batch: waiting for its 'drain'
    // after every batch would pace the upstream by loopback round trips. Only a client that
    // falls a few MiB behind slows the copy.
    if (client && !this.clientFull && client.writableLength >= BUFFER_BYTES) {
      this.clientFull = true;
      const onDrain = (): void => {
        client.off('drain', onDrain);
        client.off('close', onDrain);
        if (this.client !== client) return; // dropped: attach's handler resumed
        this.clientFull = false;
        this.resumeIfRoom();
      };
      client.on('drain', onDrain);
      client.on('close', onDrain);
    }
    // Go on when both have room (or the client left): the slower one sets the pace.
    if (this.storeFull || this.clientFull) this.source.pause();
  }

  private resumeIfRoom(): void {
    if (!this.storeFull && !this.clientFull && !this.failed) this.source.resume();
  }
}
