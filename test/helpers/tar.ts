/**
 * A tiny ustar writer for tests, and a `docker save`-style archive (docker-archive) built with it,
 * so tests can `docker load` an image without a network or a base image.
 */
import { createHash } from 'node:crypto';

export interface TarEntry {
  name: string;
  data?: Buffer | string;
  /** '0' a file (default), '5' a folder. */
  type?: '0' | '5';
  mode?: number;
}

const BLOCK = 512;
/** A fixed mtime, so the same entries always make the same bytes (and the same digests). */
const MTIME = 1_700_000_000;

function field(header: Buffer, offset: number, length: number, value: string): void {
  header.write(value, offset, length, 'ascii');
}

function octal(value: number, length: number): string {
  return value.toString(8).padStart(length - 1, '0');
}

function header(entry: TarEntry, size: number): Buffer {
  if (Buffer.byteLength(entry.name) > 100)
    throw new Error(`tar name too long for this writer: ${entry.name}`);
  const h = Buffer.alloc(BLOCK);
  const type = entry.type ?? '0';
  field(h, 0, 100, entry.name);
  field(h, 100, 8, octal(entry.mode ?? (type === '5' ? 0o755 : 0o644), 8));
  field(h, 108, 8, octal(0, 8));
  field(h, 116, 8, octal(0, 8));
  field(h, 124, 12, octal(size, 12));
  field(h, 136, 12, octal(MTIME, 12));
  field(h, 148, 8, '        ');
  field(h, 156, 1, type);
  field(h, 257, 6, 'ustar\0');
  field(h, 263, 2, '00');
  field(h, 265, 32, 'root');
  field(h, 297, 32, 'root');
  let sum = 0;
  for (const byte of h) sum += byte;
  field(h, 148, 8, `${octal(sum, 7)}\0`);
  return h;
}

/** The bytes of a tar archive holding `entries`, in order. */
export function tarArchive(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const data = entry.type === '5' ? Buffer.alloc(0) : Buffer.from(entry.data ?? '');
    parts.push(header(entry, data.length), data);
    const pad = (BLOCK - (data.length % BLOCK)) % BLOCK;
    if (pad) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

const hex = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

export interface DockerArchive {
  /** The archive for `docker load`. */
  tar: Buffer;
  /** The image id Docker gives it: the digest of its config. */
  imageId: string;
  config: Buffer;
  /** The uncompressed layer's digest (the config's diff_id). */
  diffId: string;
}

/**
 * An image of one layer (`files`) tagged `repoTag`, in the archive layout `docker save` writes:
 * manifest.json, the config as `<hex>.json`, and the layer as `<id>/layer.tar`.
 */
export function dockerArchive(repoTag: string, files: Record<string, string>): DockerArchive {
  const layer = tarArchive(Object.entries(files).map(([name, data]) => ({ name, data })));
  const diffId = `sha256:${hex(layer)}`;
  const created = new Date(MTIME * 1000).toISOString();
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      created,
      config: { Cmd: ['/hello'], Env: ['PATH=/'] },
      rootfs: { type: 'layers', diff_ids: [diffId] },
      history: [{ created, created_by: 'appshelf test: files written in-process' }],
    }),
  );
  const configHex = hex(config);
  const layerDir = hex(layer);
  const manifest = JSON.stringify([
    {
      Config: `${configHex}.json`,
      RepoTags: [repoTag],
      Layers: [`${layerDir}/layer.tar`],
    },
  ]);
  const tar = tarArchive([
    { name: `${layerDir}/`, type: '5' },
    { name: `${layerDir}/layer.tar`, data: layer },
    { name: `${configHex}.json`, data: config },
    { name: 'manifest.json', data: manifest },
  ]);
  return { tar, imageId: `sha256:${configHex}`, config, diffId };
}
