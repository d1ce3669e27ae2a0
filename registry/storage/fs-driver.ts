import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, opendir, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { dirname, join, relative, sep } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sendFileRange } from './send-file.js';
import { StorageError, type ByteRange, type ObjectInfo, type StorageDriver } from './driver.js';

const KEY = /^[a-zA-Z0-9._-]+(\/[a-zA-Z0-9._-]+)*$/;
const READ_CHUNK = 1024 * 1024;

/** Local filesystem storage: write to `_tmp`, fsync, rename into place. */
export function createFsDriver(root: string): StorageDriver {
  const pathOf = (key: string): string => {
    if (!KEY.test(key) || key.split('/').some((p) => p === '.' || p === '..')) {
      throw new StorageError('invalid_key', 'fs', `invalid key ${JSON.stringify(key)}`);
    }
    return join(root, key);
  };
  const tmpDir = join(root, '_tmp');

  async function statKey(key: string): Promise<ObjectInfo | undefined> {
    try {
      const s = await stat(pathOf(key));
      return s.isFile() ? { key, size: s.size, modifiedAt: s.mtime } : undefined;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw new StorageError('io', 'fs', `stat ${key}`, { cause: err });
    }
  }

  async function openObject(key: string): Promise<FileHandle> {
    const path = pathOf(key);
    return open(path, 'r').catch((err: unknown) => {
      throw isNotFound(err)
        ? new StorageError('not_found', 'fs', `no object ${key}`, { cause: err })
        : new StorageError('io', 'fs', `open ${key}`, { cause: err });
    });
  }

  /** Renames into place; the target's folder is made only when the rename finds it missing. */
  async function moveInto(from: string, key: string): Promise<void> {
    const target = pathOf(key);
    try {
      await rename(from, target);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await mkdir(dirname(target), { recursive: true });
      await rename(from, target);
    }
  }

  async function deleteKey(key: string): Promise<void> {
    try {
      await unlink(pathOf(key));
    } catch (err) {
      if (!isNotFound(err)) throw new StorageError('io', 'fs', `delete ${key}`, { cause: err });
    }
  }

  return {
    name: 'fs',
    stat: statKey,

    async read(key: string, range?: ByteRange): Promise<Readable> {
      const handle = await openObject(key);
      return createReadStream('', {
        fd: handle,
        highWaterMark: READ_CHUNK,
        ...(range ? { start: range.start, end: range.end } : {}),
      });
    },

    async openToSend(key: string, range: ByteRange) {
      const handle = await openObject(key);
      return async (out: Writable): Promise<void> => {
        try {
          await sendFileRange(handle, out, range.start, range.end + 1);
        } finally {
          await handle.close();
        }
      };
    },

    async write(key: string, body: Readable, signal?: AbortSignal): Promise<ObjectInfo> {
      pathOf(key);
      await mkdir(tmpDir, { recursive: true });
      const tmp = join(tmpDir, randomUUID());
      try {
        // flush: the stream fsyncs the file before it closes it.
        const out = createWriteStream(tmp, { flush: true });
        await pipeline(body, out, signal ? { signal } : {});
        await moveInto(tmp, key);
      } catch (err) {
        await rm(tmp, { force: true });
        throw new StorageError('io', 'fs', `write ${key}`, { cause: err });
      }
      const info = await statKey(key);
      if (!info) throw new StorageError('io', 'fs', `write ${key}: vanished`);
      return info;
    },

    async adopt(localPath: string, key: string): Promise<void> {
      try {
        await moveInto(localPath, key);
      } catch (err) {
        throw new StorageError('io', 'fs', `adopt ${key}`, { cause: err });
      }
    },

    delete: deleteKey,

    async deleteMany(keys: readonly string[]): Promise<void> {
      for (const key of keys) await deleteKey(key);
    },

    async *list(prefix: string): AsyncIterable<ObjectInfo> {
      const start = join(root, prefix);
      yield* walk(start, root);
    },
  };
}

async function* walk(dir: string, root: string): AsyncIterable<ObjectInfo> {
  let entries;
  try {
    entries = await opendir(dir);
  } catch (err) {
    if (isNotFound(err)) return;
    throw new StorageError('io', 'fs', `list ${dir}`, { cause: err });
  }
  for await (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path, root);
    else if (entry.isFile()) {
      const s = await stat(path).catch(() => undefined);
      if (s)
        yield { key: relative(root, path).split(sep).join('/'), size: s.size, modifiedAt: s.mtime };
    }
  }
}

export async function fsyncFile(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
