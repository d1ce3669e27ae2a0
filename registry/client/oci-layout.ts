/**
 * An OCI image layout on disk (image-spec `image-layout.md`), as a content store with the same
 * capabilities as a remote repository, so `copyImage` copies registry → layout and back:
 *
 *   <dir>/oci-layout            {"imageLayoutVersion":"1.0.0"}
 *   <dir>/index.json            an image index; tags are `org.opencontainers.image.ref.name`
 *   <dir>/blobs/<alg>/<hex>     manifests, configs and layers, by digest
 *
 * Blobs are written to a temp file beside the layout, verified while they stream, then renamed
 * into place, so a blob path never holds partial or wrong bytes. A layout has no repositories:
 * `repository(name)` returns the layout itself.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ImageIndex, MediaTypes, type Descriptor } from '../../schemas/oci.js';
import type {
  CallOptions,
  CopySource,
  CopyTarget,
  Deleter,
  FetchOptions,
  PushOptions,
  RepositoryProvider,
  TagLister,
} from './content.js';
import { isDigest, VerifyingStream, verifying, verifyBytes } from './digest.js';
import { ClientError } from './errors.js';
import { isManifestType, MAX_MANIFEST_BYTES, mediaTypeOf } from './manifest.js';

export const REF_NAME = 'org.opencontainers.image.ref.name';
const LAYOUT_VERSION = '1.0.0';

export class OciLayout
  implements RepositoryProvider<OciLayout>, CopySource, CopyTarget, TagLister, Deleter
{
  readonly host = undefined;
  private indexWrite: Promise<unknown> = Promise.resolve();

  private constructor(readonly dir: string) {}

  /** Opens a layout; with `create`, makes the folder and its `oci-layout` and `index.json` when absent. */
  static async open(dir: string, options: { create?: boolean } = {}): Promise<OciLayout> {
    const layout = new OciLayout(dir);
    if (options.create) {
      await mkdir(join(dir, 'blobs'), { recursive: true });
      await writeFile(
        join(dir, 'oci-layout'),
        JSON.stringify({ imageLayoutVersion: LAYOUT_VERSION }),
        { flag: 'wx' },
      ).catch(ignoreExists);
      const empty = { schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [] };
      await writeFile(join(dir, 'index.json'), JSON.stringify(empty), { flag: 'wx' }).catch(
        ignoreExists,
      );
    }
    const marker = await readJson(join(dir, 'oci-layout'));
    const version = (marker as { imageLayoutVersion?: unknown }).imageLayoutVersion;
    if (typeof version !== 'string' || !version.startsWith('1.')) {
      throw new ClientError(
        'protocol',
        `not an OCI image layout (imageLayoutVersion ${String(version)})`,
      );
    }
    await layout.readIndex();
    return layout;
  }

  repository(_name: string): OciLayout {
    return this;
  }

  blobPath(digest: string): string {
    if (!isDigest(digest)) throw new ClientError('invalid', `not a digest: ${digest.slice(0, 80)}`);
    const [algorithm = '', hex = ''] = digest.split(':');
    return join(this.dir, 'blobs', algorithm, hex);
  }

  /** The layout's index.json, parsed. */
  async readIndex(): Promise<ImageIndex> {
    const parsed = ImageIndex.safeParse(await readJson(join(this.dir, 'index.json')));
    if (!parsed.success)
      throw new ClientError('protocol', 'index.json is not an image index', {
        cause: parsed.error,
      });
    return parsed.data;
  }

  async fetch(target: Descriptor, options: FetchOptions = {}): Promise<Readable> {
    const offset = options.offset ?? 0;
    const path = this.blobPath(target.digest);
    if (!(await this.exists(target)))
      throw new ClientError('not_found', `blob ${target.digest} is not in the layout`);
    const stream = createReadStream(path, {
      start: offset,
      // 64 KiB reads (fs streams' default): each read is a new buffer, and 1 MiB ones piled up
      // as garbage while a 1 GiB layer streamed out.
      highWaterMark: 64 * 1024,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return offset === 0 ? verifying(stream, target) : stream;
  }

  async exists(target: Descriptor, _options: CallOptions = {}): Promise<boolean> {
    try {
      return (await stat(this.blobPath(target.digest))).isFile();
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  async push(
    expected: Descriptor,
    content: Buffer | Readable,
    options: PushOptions = {},
  ): Promise<void> {
    const path = this.blobPath(expected.digest);
    if (Buffer.isBuffer(content)) verifyBytes(content, expected);
    if (await this.exists(expected)) {
      if (!Buffer.isBuffer(content)) content.destroy();
      return;
    }
    const temp = join(this.dir, `.tmp-${randomUUID()}`);
    try {
      const source = Buffer.isBuffer(content) ? Readable.from([content]) : content;
      let done = 0;
      const count = async function* (chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
        for await (const chunk of chunks) {
          done += chunk.length;
          options.onProgress?.(done);
          yield chunk;
        }
      };
      await pipeline(
        source,
        new VerifyingStream(expected),
        count,
        createWriteStream(temp),
        options.signal ? { signal: options.signal } : {},
      );
      await mkdir(join(path, '..'), { recursive: true });
      await rename(temp, path);
    } catch (err) {
      await rm(temp, { force: true });
      if (err instanceof Error && err.name === 'AbortError')
        throw new ClientError('aborted', 'aborted', { cause: err });
      throw err;
    }
  }

  /** A tag from index.json, or a digest (of a manifest in the layout). */
  async resolve(reference: string, _options: CallOptions = {}): Promise<Descriptor> {
    const index = await this.readIndex();
    const byRef = (d: Descriptor): boolean =>
      isDigest(reference) ? d.digest === reference : d.annotations?.[REF_NAME] === reference;
    const found = index.manifests.find(byRef);
    if (found) return found;
    if (isDigest(reference)) {
      const bytes = await readFile(this.blobPath(reference)).catch((err: unknown) => {
        throw isNotFound(err)
          ? new ClientError('not_found', `${reference} is not in the layout`)
          : err;
      });
      if (bytes.length > MAX_MANIFEST_BYTES)
        throw new ClientError('too_large', `${reference} is too large for a manifest`);
      return { mediaType: mediaTypeOf(bytes), digest: reference, size: bytes.length };
    }
    throw new ClientError('not_found', `tag ${reference} is not in the layout`);
  }

  /** Stores the manifest, then lists it in index.json: under `reference` when that is a tag. */
  async pushReference(
    expected: Descriptor,
    content: Buffer,
    reference: string,
    options: CallOptions = {},
  ): Promise<void> {
    if (!isManifestType(expected.mediaType))
      throw new ClientError('invalid', `${expected.mediaType} is not a manifest`);
    await this.push(expected, content, options);
    await this.updateIndex((manifests) => {
      const entry: Descriptor = {
        mediaType: expected.mediaType,
        digest: expected.digest,
        size: expected.size,
      };
      if (isDigest(reference)) {
        if (reference !== expected.digest)
          throw new ClientError(
            'digest_mismatch',
            `reference ${reference} is not ${expected.digest}`,
          );
        return manifests.some((m) => m.digest === expected.digest)
          ? manifests
          : [...manifests, entry];
      }
      return [
        ...manifests.filter((m) => m.annotations?.[REF_NAME] !== reference),
        { ...entry, annotations: { [REF_NAME]: reference } },
      ];
    });
  }

  async *tags(options: { last?: string } = {}): AsyncGenerator<string> {
    const names = (await this.readIndex()).manifests
      .map((m) => m.annotations?.[REF_NAME])
      .filter((n): n is string => n !== undefined);
    const sorted = [...new Set(names)].sort();
    yield* options.last === undefined ? sorted : sorted.filter((t) => t > (options.last ?? ''));
  }

  /** Removes a blob, and a manifest's entries in index.json. */
  async delete(target: Descriptor, _options: CallOptions = {}): Promise<void> {
    if (!(await this.exists(target)))
      throw new ClientError('not_found', `${target.digest} is not in the layout`);
    await this.updateIndex((manifests) => manifests.filter((m) => m.digest !== target.digest));
    await rm(this.blobPath(target.digest), { force: true });
  }

  /** Read-modify-write of index.json, one at a time, replaced atomically. */
  private updateIndex(change: (manifests: Descriptor[]) => Descriptor[]): Promise<void> {
    const run = this.indexWrite.then(async () => {
      const index = await this.readIndex();
      const next = { ...index, manifests: change(index.manifests) };
      const temp = join(this.dir, `.index-${randomUUID()}.json`);
      await writeFile(temp, JSON.stringify(next));
      await rename(temp, join(this.dir, 'index.json'));
    });
    this.indexWrite = run.catch(() => undefined);
    return run;
  }
}

async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (isNotFound(err))
      throw new ClientError(
        'not_found',
        `${path.split(/[\\/]/).pop() ?? path} is missing from the layout`,
        { cause: err },
      );
    throw err;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ClientError('protocol', `${path.split(/[\\/]/).pop() ?? path} is not JSON`, {
      cause: err,
    });
  }
}

function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

function ignoreExists(err: unknown): void {
  if ((err as NodeJS.ErrnoException | undefined)?.code !== 'EEXIST') throw err;
}
