/**
 * What a test store holds, read through its own storage driver, so that a test's checks hold on
 * the fs driver and on S3 alike (APPSHELF_TEST_STORAGE=s3).
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestServer } from './server.js';

/** The key of a blob (keys.ts): blobs/<algorithm>/<2 hex>/<hex>. */
export function blobKeyOf(digest: string): string {
  const [algorithm, hex] = digest.split(':') as [string, string];
  return `blobs/${algorithm}/${hex.slice(0, 2)}/${hex}`;
}

/** Keys under a storage folder, relative to it, sorted. */
export async function storedKeys(srv: TestServer, folder: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of srv.app.registry.blobs.driver.list(folder))
    keys.push(object.key.slice(folder.length + 1));
  return keys.sort();
}

/** The size of a blob's stored object, or undefined when there is none. */
export async function blobObjectSize(srv: TestServer, digest: string): Promise<number | undefined> {
  return (await srv.app.registry.blobs.driver.stat(blobKeyOf(digest)))?.size;
}

const onS3 = (srv: TestServer): boolean => srv.app.registry.blobs.driver.multipart !== undefined;

/** Files under a folder, relative to it (absent folder → none). */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
}

/**
 * What upload sessions staged: the local staging files (fs), or the objects under _uploads/ in
 * the bucket (S3).
 */
export function stagedFiles(srv: TestServer): Promise<string[]> {
  return onS3(srv) ? storedKeys(srv, '_uploads') : filesUnder(join(srv.data, 'uploads'));
}

/**
 * Whether the server is taking in an upload's body (of session `id`, or any): on fs, its staging
 * file grew past `committed` bytes; on S3, where a body under a part waits in memory, a request
 * is in flight on the session.
 */
export async function receiving(srv: TestServer, committed = 0, id?: string): Promise<boolean> {
  const { uploads } = srv.app.registry;
  if (onS3(srv)) return id ? uploads.active.has(id) : uploads.active.size > 0;
  const dir = join(srv.data, 'uploads');
  const names = id ? [id] : await readdir(dir).catch(() => [] as string[]);
  const sizes = await Promise.all(names.map((n) => stat(join(dir, n)).catch(() => undefined)));
  return sizes.some((s) => (s?.size ?? 0) > committed);
}

/** Whether a session is back at `committed` bytes with no request in flight. */
export async function settled(srv: TestServer, id: string, committed: number): Promise<boolean> {
  if (onS3(srv)) return !srv.app.registry.uploads.active.has(id);
  return (await stat(join(srv.data, 'uploads', id)).catch(() => undefined))?.size === committed;
}
