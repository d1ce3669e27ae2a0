/**
 * Reads tar archives with tar-stream (ustar, pax and GNU long names and links; gzip'ed or not):
 * each file is handed to `accept`, which says where to write it (hashing it on the way), hands it
 * to a reader of its own (a tar inside a tar), or skips it. Content streams, never whole in memory.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { extract, type Extract } from 'tar-stream';

type Entry = Extract extends AsyncIterable<infer T> ? T : never;

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

/** tar-stream's errors, said as the CLI says them. */
function tarError(err: unknown): Error {
  const message = err instanceof Error ? err.message : String(err);
  if (/unexpected end of data|premature/i.test(message))
    return new Error('the archive is truncated', { cause: err });
  if (/invalid tar header|checksum/i.test(message))
    return new Error('the archive is not a tar file, or is damaged (bad header checksum)', {
      cause: err,
    });
  return err instanceof Error ? err : new Error(message);
}

/**
 * The entry's content for a reader that may stop early: stopping does not destroy the entry (the
 * rest is drained after), so the archive reads on.
 */
function contentOf(entry: Entry): { content: AsyncIterable<Buffer>; drain: () => Promise<void> } {
  const chunks = (entry as unknown as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  return {
    content: {
      [Symbol.asyncIterator]: () => ({
        next: () => chunks.next(),
        return: () => Promise.resolve({ done: true as const, value: undefined }),
      }),
    },
    drain: async () => {
      while (!(await chunks.next()).done) {
        /* skip the rest */
      }
    },
  };
}

/**
 * Reads a tar stream: for each regular file, `accept(name, size)` says where its content goes
 * (or undefined to skip it). Resolves to the files written.
 */
export async function readTar(
  input: AsyncIterable<Buffer>,
  accept: (name: string, size: number) => TarTarget,
  options: ReadTarOptions = {},
): Promise<TarFile[]> {
  const { signal } = options;
  const reader = extract();
  const source = Readable.from(input);
  const feeding = pipeline(source, reader, signal ? { signal } : {}).catch((err: unknown) => {
    reader.destroy(tarError(err));
  });
  const written: TarFile[] = [];
  try {
    for await (const entry of reader) {
      signal?.throwIfAborted();
      const { name, size = 0, type, linkname } = entry.header;
      if (type === 'symlink') options.onLink?.(name, linkname ?? '');
      const target = type === 'file' || type === 'contiguous-file' ? accept(name, size) : undefined;
      const { content, drain } = contentOf(entry);
      if (typeof target === 'function') await target(content);
      else if (typeof target === 'string') {
        const hash = createHash('sha256');
        await pipeline(
          Readable.from(
            (async function* () {
              for await (const chunk of content) {
                hash.update(chunk);
                yield chunk;
              }
            })(),
          ),
          createWriteStream(target),
        );
        written.push({ name, size, path: target, digest: `sha256:${hash.digest('hex')}` });
      }
      await drain();
    }
  } catch (err) {
    source.destroy();
    if (signal?.aborted) throw err;
    throw tarError(err);
  }
  await feeding;
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
