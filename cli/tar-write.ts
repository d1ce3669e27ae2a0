/**
 * A streaming tar writer (POSIX ustar, with a pax header for names over 100 bytes): files are
 * read from disk as they are written, never held whole in memory. Fixed owner and mtime, so the
 * same files make the same archive.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface TarEntry {
  /** The name in the archive (`/`-separated, relative). */
  name: string;
  /** A folder (no content). */
  dir?: boolean;
  /** For a file: where its content is on disk, and its size. */
  path?: string;
  size?: number;
  data?: Buffer;
}

const BLOCK = 512;
const MTIME = 0;

function octal(value: number, length: number): string {
  return `${value.toString(8).padStart(length - 1, '0')}\0`;
}

function header(name: string, size: number, type: '0' | '5' | 'x'): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(type === '5' ? 0o755 : 0o644, 8), 100, 8, 'ascii');
  h.write(octal(0, 8), 108, 8, 'ascii');
  h.write(octal(0, 8), 116, 8, 'ascii');
  h.write(octal(size, 12), 124, 12, 'ascii');
  h.write(octal(MTIME, 12), 136, 12, 'ascii');
  h.write('        ', 148, 8, 'ascii');
  h.write(type, 156, 1, 'ascii');
  h.write('ustar\0', 257, 6, 'ascii');
  h.write('00', 263, 2, 'ascii');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return h;
}

/** A pax record `<len> <key>=<value>\n`, where len counts the whole record. */
function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body);
  while (String(length).length + Buffer.byteLength(body) !== length)
    length = String(length).length + Buffer.byteLength(body);
  return Buffer.from(`${length}${body}`);
}

const padding = (size: number): Buffer => Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);

async function* archive(entries: TarEntry[], signal?: AbortSignal): AsyncGenerator<Buffer> {
  for (const entry of entries) {
    signal?.throwIfAborted();
    const type = entry.dir ? '5' : '0';
    const size = entry.dir ? 0 : (entry.data?.length ?? entry.size ?? 0);
    let name = entry.dir && !entry.name.endsWith('/') ? `${entry.name}/` : entry.name;
    if (Buffer.byteLength(name) > 100) {
      const pax = paxRecord('path', name);
      yield header(`PaxHeaders/${name.slice(-80)}`, pax.length, 'x');
      yield pax;
      yield padding(pax.length);
      name = name.slice(-100);
    }
    yield header(name, size, type);
    if (entry.dir) continue;
    if (entry.data) {
      yield entry.data;
    } else if (entry.path) {
      let read = 0;
      for await (const chunk of createReadStream(entry.path, {
        highWaterMark: 1024 * 1024,
      }) as AsyncIterable<Buffer>) {
        read += chunk.length;
        if (read > size) break;
        yield chunk;
      }
      if (read !== size)
        throw new Error(
          `${entry.path} changed while it was archived (${read} bytes, expected ${size})`,
        );
    }
    yield padding(size);
  }
  yield Buffer.alloc(BLOCK * 2);
}

/** Writes `entries` in order as a tar archive to `output`. */
export async function writeTar(
  output: string,
  entries: TarEntry[],
  signal?: AbortSignal,
): Promise<void> {
  await pipeline(
    Readable.from(archive(entries, signal)),
    createWriteStream(output),
    signal ? { signal } : {},
  );
}
