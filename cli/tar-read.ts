/**
 * A streaming tar reader (ustar, pax and GNU long names; gzip'ed or not): each file is handed to
 * `accept`, which says where to write it (or skips it). Content streams to disk, never whole in
 * memory.
 */
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
      this.buffered = this.buffered.length ? Buffer.concat([this.buffered, next.value]) : next.value;
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

function paxPath(data: Buffer): string | undefined {
  let path: string | undefined;
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    const length = space < 0 ? NaN : Number(data.subarray(pos, space).toString('ascii'));
    if (!Number.isInteger(length) || length <= space - pos) break;
    const record = data.subarray(space + 1, pos + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (record.slice(0, eq) === 'path') path = record.slice(eq + 1);
    pos += length;
  }
  return path;
}

/**
 * Reads the archive at `file`: for each regular file, `accept(name, size)` returns the path to
 * write it to, or undefined to skip it. Resolves to the names written.
 */
export async function extractTar(file: string, accept: (name: string, size: number) => string | undefined, signal?: AbortSignal): Promise<string[]> {
  const handle = await open(file, 'r');
  const magic = Buffer.alloc(2);
  try {
    await handle.read(magic, 0, 2, 0);
  } finally {
    await handle.close();
  }
  const raw = createReadStream(file, { highWaterMark: 1024 * 1024, ...(signal ? { signal } : {}) });
  const input: Readable = magic[0] === 0x1f && magic[1] === 0x8b ? raw.pipe(createGunzip()) : raw;
  raw.once('error', (err) => input.destroy(err));
  const reader = new ByteReader((input as AsyncIterable<Buffer>)[Symbol.asyncIterator]());
  const written: string[] = [];
  let longName: string | undefined;
  try {
    for (;;) {
      const h = await reader.read(BLOCK);
      if (!h || h.every((b) => b === 0)) break;
      if (!checksumOk(h)) throw new Error('the archive is not a tar file, or is damaged (bad header checksum)');
      const size = number(h, 124, 12);
      const type = String.fromCharCode(h[156] || 0x30);
      const padded = Math.ceil(size / BLOCK) * BLOCK;
      if (type === 'x' || type === 'L') {
        const data = Buffer.concat(await collect(reader.take(size)));
        await reader.skip(padded - size);
        longName = type === 'L' ? text(data, 0, data.length) : (paxPath(data) ?? longName);
        continue;
      }
      const prefix = text(h, 345, 155);
      const name = longName ?? (prefix ? `${prefix}/${text(h, 0, 100)}` : text(h, 0, 100));
      longName = undefined;
      const target = type === '0' || type === '7' ? accept(name, size) : undefined;
      if (target === undefined) {
        await reader.skip(padded);
        continue;
      }
      await pipeline(Readable.from(reader.take(size)), createWriteStream(target));
      await reader.skip(padded - size);
      written.push(name);
    }
  } finally {
    input.destroy();
    raw.destroy();
  }
  return written;
}

async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const chunk of chunks) out.push(chunk);
  return out;
}
