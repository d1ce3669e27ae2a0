/**
 * A streaming tar reader (ustar, pax and GNU long names and links; gzip'ed or not): each file is
 * handed to `accept`, which says where to write it (hashing it on the way), hands it to a reader
 * of its own (a tar inside a tar), or skips it. Content streams, never whole in memory.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';

const BLOCK = 512;

class ByteReader {
  private buffered: Buffer = Buffer.alloc(0);
  constructor(private readonly chunks: AsyncIterator<Buffer>) {}

  /** Exactly `n` bytes, or undefined at the end of input (and an error at a truncated end). */
  async read(n: number): Promise<Buffer | undefined> {
    while (this.buffered.length < n) {
      const next = await this.chunks.next();
      if (next.done) {
        if (this.buffered.length === 0) return undefined;
        throw new Error('the archive is truncated');
      }
      this.buffered = this.buffered.length
        ? Buffer.concat([this.buffered, next.value])
        : next.value;
    }
    const out = this.buffered.subarray(0, n);
    this.buffered = this.buffered.subarray(n);
    return out;
  }

  /** The next `n` bytes as chunks. */
  async *take(n: number): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (this.buffered.length === 0) {
        const next = await this.chunks.next();
        if (next.done) throw new Error('the archive is truncated');
        this.buffered = next.value;
      }
      const part = this.buffered.subarray(0, left);
      this.buffered = this.buffered.subarray(part.length);
      left -= part.length;
      yield part;
    }
  }

  async skip(n: number): Promise<void> {
    for await (const _ of this.take(n)) {
      // discarded
    }
  }
}

function text(h: Buffer, offset: number, length: number): string {
  const field = h.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return field.subarray(0, end < 0 ? length : end).toString('utf8');
}

function number(h: Buffer, offset: number, length: number): number {
  const field = h.subarray(offset, offset + length);
  if ((field[0]! & 0x80) !== 0) {
    let value = 0; // base-256 (GNU), for sizes past 8 GiB
    for (let i = 1; i < field.length; i++) value = value * 256 + field[i]!;
    return value;
  }
  const digits = text(h, offset, length).trim();
  return digits ? parseInt(digits, 8) : 0;
}

function checksumOk(h: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
  return sum === number(h, 148, 8);
}

/** The records of a pax extended header (`path`, `linkpath`, ...). */
function paxRecords(data: Buffer): Map<string, string> {
  const records = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    const length = space < 0 ? NaN : Number(data.subarray(pos, space).toString('ascii'));
    if (!Number.isInteger(length) || length <= space - pos) break;
    const record = data.subarray(space + 1, pos + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    records.set(record.slice(0, eq), record.slice(eq + 1));
    pos += length;
  }
  return records;
}

/** Where a file's content goes: a path to write it to (its sha256 is taken on the way), or a function that reads it. */
export type TarTarget = string | ((content: AsyncIterable<Buffer>) => Promise<void>) | undefined;

export interface TarFile {
  name: string;
  size: number;
  /** Where it was written. */
  path: string;
  /** `sha256:<hex>` of its content. */
  digest: string;
}

export interface ReadTarOptions {
  signal?: AbortSignal | undefined;
  /** Called for each symbolic link (its name and target, as written in the archive). */
  onLink?: (name: string, target: string) => void;
}

/**
 * Reads a tar stream: for each regular file, `accept(name, size)` says where its content goes
 * (or undefined to skip it). Stops at the end-of-archive blocks. Resolves to the files written.
 */
export async function readTar(
  input: AsyncIterable<Buffer>,
  accept: (name: string, size: number) => TarTarget,
  options: ReadTarOptions = {},
): Promise<TarFile[]> {
  const { signal } = options;
  const reader = new ByteReader(input[Symbol.asyncIterator]());
  const written: TarFile[] = [];
  let pax = new Map<string, string>();
  let longName: string | undefined;
  let longLink: string | undefined;
  for (;;) {
    signal?.throwIfAborted();
    const h = await reader.read(BLOCK);
    if (!h || h.every((b) => b === 0)) break;
    if (!checksumOk(h))
      throw new Error('the archive is not a tar file, or is damaged (bad header checksum)');
    const size = number(h, 124, 12);
    const type = String.fromCharCode(h[156] || 0x30);
    const padded = Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'x' || type === 'L' || type === 'K') {
      const data = Buffer.concat(await collect(reader.take(size)));
      await reader.skip(padded - size);
      if (type === 'x') pax = paxRecords(data);
      else if (type === 'L') longName = text(data, 0, data.length);
      else longLink = text(data, 0, data.length);
      continue;
    }
    if (type === 'g') {
      await reader.skip(padded); // global pax header: nothing we use
      continue;
    }
    const prefix = text(h, 345, 155);
    const name =
      pax.get('path') ?? longName ?? (prefix ? `${prefix}/${text(h, 0, 100)}` : text(h, 0, 100));
    const link = pax.get('linkpath') ?? longLink ?? text(h, 157, 100);
    pax = new Map();
    longName = undefined;
    longLink = undefined;
    if (type === '2') options.onLink?.(name, link);
    const target = type === '0' || type === '7' ? accept(name, size) : undefined;
    if (target === undefined) {
      await reader.skip(padded);
      continue;
    }
    if (typeof target === 'function') {
      let consumed = 0;
      await target(
        (async function* () {
          for await (const chunk of reader.take(size)) {
            consumed += chunk.length;
            yield chunk;
          }
        })(),
      );
      await reader.skip(padded - consumed);
      continue;
    }
    const hash = createHash('sha256');
    await pipeline(
      Readable.from(
        (async function* () {
          for await (const chunk of reader.take(size)) {
            hash.update(chunk);
            yield chunk;
          }
        })(),
      ),
      createWriteStream(target),
    );
    await reader.skip(padded - size);
    written.push({ name, size, path: target, digest: `sha256:${hash.digest('hex')}` });
  }
  return written;
}

/** The archive at `file` as a stream of tar bytes (gunzipped when it is gzip'ed). */
export async function openArchive(file: string, signal?: AbortSignal): Promise<Readable> {
  const handle = await open(file, 'r');
  const magic = Buffer.alloc(2);
  try {
    await handle.read(magic, 0, 2, 0);
  } finally {
    await handle.close();
  }
  const raw = createReadStream(file, { highWaterMark: 1024 * 1024, ...(signal ? { signal } : {}) });
  if (magic[0] !== 0x1f || magic[1] !== 0x8b) return raw;
  const gunzip = createGunzip();
  raw.once('error', (err) => gunzip.destroy(err));
  gunzip.once('close', () => raw.destroy());
  return raw.pipe(gunzip);
}

/**
 * Reads the archive at `file`: for each regular file, `accept(name, size)` returns the path to
 * write it to, or undefined to skip it. Resolves to the names written.
 */
export async function extractTar(
  file: string,
  accept: (name: string, size: number) => string | undefined,
  signal?: AbortSignal,
): Promise<string[]> {
  const input = await openArchive(file, signal);
  try {
    return (await readTar(input, accept, { signal })).map((f) => f.name);
  } finally {
    input.destroy();
  }
}

async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const chunk of chunks) out.push(chunk);
  return out;
}
