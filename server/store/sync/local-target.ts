/**
 * The store's own registry as a `copyImage` target — and as a source, for images a template
 * names on this store: in-process, never over the network. Blobs go through the registry's
 * upload sessions (digest-verified, staged, then moved into place), mounts link a blob another
 * repository holds, and manifests go through `Registry.putManifest` — the same guard, tag and
 * `manifest.pushed` event as a PUT on /v2 — so the store indexes what sync writes as it indexes
 * a push. No HTTP, no loopback credential: the caller has already been authorised.
 */
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { DIGEST_PATTERN, type Descriptor, type Digest } from '../../../schemas/oci.js';
import {
  ClientError,
  isManifestType,
  readLimited,
  verifyBytes,
  type CallOptions,
  type CopySource,
  type CopyTarget,
  type FetchOptions,
  type MountResult,
  type Mounter,
  type PushOptions,
  type RepositoryProvider,
  type ResumablePusher,
  type UploadSession,
} from '../../../registry/client/index.js';
import { OciError, type Registry } from '../../../registry/index.js';

type Target = CopySource & CopyTarget & Mounter & ResumablePusher;

export class LocalRegistry implements RepositoryProvider<Target> {
  /** Undefined: a local store (copyImage then mounts only from `mountFrom`). */
  readonly host = undefined;

  constructor(
    private readonly registry: Registry,
    /** Who the writes are logged and audited as. */
    private readonly actor: string,
    private readonly maxManifestBytes: number,
    /** The store mirror's upstream, when the mirror writes (store-manifest.ts `mirror`). */
    private readonly mirror?: string,
  ) {}

  repository(name: string): Target {
    return new LocalRepository(this.registry, name, this.actor, this.maxManifestBytes, this.mirror);
  }
}

class LocalRepository implements Target {
  constructor(
    private readonly registry: Registry,
    private readonly name: string,
    private readonly actor: string,
    private readonly maxManifestBytes: number,
    private readonly mirror: string | undefined,
  ) {}

  /** A tag or digest of this repository as the descriptor of its manifest. */
  async resolve(reference: string, _options?: CallOptions): Promise<Descriptor> {
    const digest = DIGEST_PATTERN.test(reference)
      ? (reference as Digest)
      : await this.registry.meta.tagDigest(this.name, reference);
    const stored = digest && (await this.registry.meta.manifestByDigest(this.name, digest));
    if (!stored) throw new ClientError('not_found', `no ${this.name}:${reference} here`);
    return { mediaType: stored.mediaType, digest: stored.digest, size: stored.size };
  }

  async exists(target: Descriptor, _options?: CallOptions): Promise<boolean> {
    return isManifestType(target.mediaType)
      ? (await this.registry.meta.manifestByDigest(this.name, target.digest)) !== undefined
      : (await this.registry.blobs.sizeIn(this.name, target.digest)) !== undefined;
  }

  async fetch(target: Descriptor, options: FetchOptions = {}): Promise<Readable> {
    const offset = options.offset ?? 0;
    if (isManifestType(target.mediaType)) {
      const stored = await this.registry.meta.manifestByDigest(this.name, target.digest);
      if (!stored)
        throw new ClientError('not_found', `manifest ${target.digest} is not in ${this.name}`);
      return Readable.from([stored.content.subarray(offset)]);
    }
    const size = await this.registry.blobs.sizeIn(this.name, target.digest);
    if (size === undefined)
      throw new ClientError('not_found', `blob ${target.digest} is not in ${this.name}`);
    return this.registry.blobs.open(
      target.digest,
      offset > 0 ? { start: offset, end: size - 1 } : undefined,
    );
  }

  async push(
    expected: Descriptor,
    content: Buffer | Readable,
    options: PushOptions = {},
  ): Promise<void> {
    if (isManifestType(expected.mediaType)) {
      const bytes = Buffer.isBuffer(content)
        ? content
        : await readLimited(content, this.maxManifestBytes, `manifest ${expected.digest}`);
      await this.pushReference(expected, bytes, expected.digest, options);
      options.onProgress?.(bytes.length);
      return;
    }
    const session = await this.startUpload(options);
    try {
      await this.writeUpload(session, expected, content, options);
    } catch (err) {
      await this.abortUpload(session);
      throw err;
    }
  }

  async pushReference(
    expected: Descriptor,
    content: Buffer,
    reference: string,
    _options?: CallOptions,
  ): Promise<void> {
    verifyBytes(content, expected);
    await this.registry.putManifest({
      repository: this.name,
      reference,
      contentType: expected.mediaType,
      content,
      actor: this.actor,
      ...(this.mirror !== undefined && { mirror: this.mirror }),
    });
  }

  async mount(
    target: Descriptor,
    fromRepository: string,
    options: CallOptions = {},
  ): Promise<MountResult> {
    if (await this.registry.blobs.mount(this.name, fromRepository, target.digest))
      return { mounted: true };
    return { mounted: false, session: await this.startUpload(options) };
  }

  async startUpload(_options?: CallOptions): Promise<UploadSession> {
    const row = await this.registry.uploads.start(this.name);
    return { repository: this.name, location: row.id, offset: 0 };
  }

  async uploadStatus(session: UploadSession, _options?: CallOptions): Promise<UploadSession> {
    try {
      const row = await this.registry.uploads.get(this.name, session.location);
      return Promise.resolve({ ...session, offset: row.size });
    } catch (err) {
      if (err instanceof OciError && err.code === 'BLOB_UPLOAD_UNKNOWN') {
        return Promise.reject(
          new ClientError('not_found', `upload ${session.location} is gone`, { cause: err }),
        );
      }
      return Promise.reject(err as Error);
    }
  }

  /** Appends the content (which starts at `session.offset`), verifies the whole blob and stores it. */
  async writeUpload(
    session: UploadSession,
    expected: Descriptor,
    content: Buffer | Readable,
    options: PushOptions = {},
  ): Promise<void> {
    const source = Buffer.isBuffer(content) ? Readable.from([content]) : content;
    const body = options.onProgress
      ? source.pipe(counting(session.offset, options.onProgress))
      : source;
    if (body !== source) source.once('error', (err) => body.destroy(err));
    await this.registry.uploads.complete(this.name, session.location, expected.digest, body);
  }

  async abortUpload(session: UploadSession, _options?: CallOptions): Promise<void> {
    await this.registry.uploads.cancel(this.name, session.location).catch(() => undefined);
  }
}

/** Passes bytes through and reports the running total (from `start`). */
function counting(start: number, report: (bytesDone: number) => void): Transform {
  let done = start;
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, next: TransformCallback) {
      done += chunk.length;
      report(done);
      next(null, chunk);
    },
  });
}
