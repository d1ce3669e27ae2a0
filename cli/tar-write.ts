/**
 * Writes a tar archive with tar-stream (ustar, pax headers for long names): files are streamed
 * from disk into the archive as it is written, never held whole in memory. Fixed owner and mtime,
 * so the same files make the same archive.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pack, type Pack } from 'tar-stream';

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

const MTIME = new Date(0);

/** Streams one entry into the pack; checks a file did not change size while it was read. */
async function addEntry(archive: Pack, entry: TarEntry): Promise<void> {
  const common = { mtime: MTIME, uid: 0, gid: 0, uname: '', gname: '' };
  if (entry.dir) {
    const name = entry.name.endsWith('/') ? entry.name : `${entry.name}/`;
    await new Promise<void>((done, fail) =>
      archive.entry({ ...common, name, type: 'directory', mode: 0o755 }, (err) =>
        err ? fail(err) : done(),
      ),
    );
    return;
  }
  const size = entry.data?.length ?? entry.size ?? 0;
  const sink = archive.entry({ ...common, name: entry.name, type: 'file', mode: 0o644, size });
  const source =
    entry.data !== undefined
      ? Readable.from([entry.data])
      : entry.path !== undefined && size > 0
        ? // At most `size` bytes: a file that grew is caught below, as one that shrank.
          createReadStream(entry.path, { highWaterMark: 1024 * 1024, end: size - 1 })
        : Readable.from([]);
  let read = 0;
  source.on('data', (chunk: Buffer) => (read += chunk.length));
  await pipeline(source, sink);
  const now = entry.path !== undefined ? (await stat(entry.path)).size : size;
  if (read !== size || now !== size)
    throw new Error(
      `${entry.path ?? entry.name} changed while it was archived (${now} bytes, expected ${size})`,
    );
}

/** Writes `entries` in order as a tar archive to `output`. */
export async function writeTar(
  output: string,
  entries: TarEntry[],
  signal?: AbortSignal,
): Promise<void> {
  const archive = pack();
  const written = pipeline(archive, createWriteStream(output), signal ? { signal } : {});
  try {
    for (const entry of entries) {
      signal?.throwIfAborted();
      await addEntry(archive, entry);
    }
    archive.finalize();
  } catch (err) {
    archive.destroy(err as Error);
    await written.catch(() => undefined);
    throw err;
  }
  await written;
}
