/**
 * A client for one registry host, speaking the OCI distribution protocol: ping, resolve, fetch
 * manifests and blobs (verified), push blobs (monolithic or chunked, resumable), mount, push
 * manifests, list tags, delete. `repository(name)` gives the per-repository content store that
 * `copyImage` works with.
 */
import { Readable } from 'node:stream';
import { ImageIndex, MediaTypes, type Descriptor, type Digest } from '../../schemas/oci.js';
import { repositoryScope } from './auth.js';
import * as uploads from './blob-upload.js';
import { bodyStream, skipBytes } from './body-stream.js';
import type {
  CallOptions,
  FetchOptions,
  MountResult,
  PushOptions,
  RepositoryProvider,
  UploadSession,
} from './content.js';
import { algorithmOf, digestOf, isDigest, readLimited, verifying } from './digest.js';
import { ClientError, isClientError } from './errors.js';
import { MANIFEST_ACCEPT, MAX_MANIFEST_BYTES, isManifestType, mediaTypeOf } from './manifest.js';
import { RemoteRepository } from './remote-repository.js';
import { pushResumable } from './resumable-push.js';
import type { RetryPolicy } from './retry.js';
import { discard, Transport, type TransportOptions } from './transport.js';

export interface RegistryClientOptions extends TransportOptions {
  /** Bytes per PATCH of a chunked upload (default 8 MiB). */
  chunkSize?: number;
  /** Blobs up to this size are uploaded in one PUT (default: the chunk size). */
  monolithicMax?: number;
  /** Manifests larger than this are refused (default 4 MiB). */
  maxManifestBytes?: number;
}

export interface OpenBlobOptions extends CallOptions {
  /**
   * The body fails when no byte of it arrives for this long (over a dispatcher, see
   * TransportOptions.dispatcher; without one the fetch's own timeouts apply).
   */
  idleTimeoutMs?: number | undefined;
}

export interface FetchedManifest {
  descriptor: Descriptor;
  bytes: Buffer;
}

const MAX_TAG_LIST_BYTES = 16 * 1024 * 1024;

export class RegistryClient implements RepositoryProvider<RemoteRepository> {
  /** `host[:port]`, as references name the registry. */
  readonly host: string;
  /** `http(s)://host[:port]`. */
  readonly baseUrl: string;
  readonly retry: RetryPolicy;
  readonly maxManifestBytes: number;
  private readonly transport: Transport;
  private readonly tuning: uploads.UploadTuning;

  constructor(options: RegistryClientOptions) {
    this.transport = new Transport(options);
    this.host = this.transport.host;
    this.baseUrl = this.transport.base.origin;
    this.retry = this.transport.retry;
    const chunkSize = Math.max(options.chunkSize ?? uploads.DEFAULT_CHUNK_SIZE, 1);
    this.tuning = { chunkSize, monolithicMax: options.monolithicMax ?? chunkSize };
    this.maxManifestBytes = options.maxManifestBytes ?? MAX_MANIFEST_BYTES;
  }

  repository(name: string): RemoteRepository {
    return new RemoteRepository(this, name);
  }

  /** GET /v2/: the registry answers and accepts our credentials. */
  async ping(options: CallOptions = {}): Promise<void> {
    const res = await this.transport.send({
      method: 'GET',
      path: '/v2/',
      scopes: [],
      expect: [200],
      what: 'ping',
      signal: options.signal,
    });
    await discard(res);
  }

  /** HEAD a manifest by tag or digest: its descriptor (falls back to GET when headers are missing). */
  async resolve(
    repository: string,
    reference: string,
    options: CallOptions = {},
  ): Promise<Descriptor> {
    const res = await this.transport.send({
      method: 'HEAD',
      path: `/v2/${repository}/manifests/${reference}`,
      headers: { accept: MANIFEST_ACCEPT },
      scopes: [repositoryScope(repository, 'pull')],
      expect: [200],
      what: `resolve ${repository}:${reference}`,
      signal: options.signal,
    });
    await discard(res);
    const mediaType = res.headers.get('content-type')?.split(';')[0]?.trim() ?? '';
    const digest = isDigest(reference) ? reference : res.headers.get('docker-content-digest');
    const size = Number(res.headers.get('content-length') ?? NaN);
    if (
      !isManifestType(mediaType) ||
      digest === null ||
      !isDigest(digest) ||
      !Number.isInteger(size)
    ) {
      return (await this.fetchManifest(repository, reference, options)).descriptor;
    }
    return { mediaType, digest, size };
  }

  /** GET a manifest: its exact bytes, checked against the digest asked for (or announced). */
  async fetchManifest(
    repository: string,
    reference: string | Descriptor,
    options: CallOptions = {},
  ): Promise<FetchedManifest> {
    const ref = typeof reference === 'string' ? reference : reference.digest;
    const what = `fetch manifest ${repository}@${ref}`;
    const res = await this.transport.send({
      method: 'GET',
      path: `/v2/${repository}/manifests/${ref}`,
      headers: { accept: MANIFEST_ACCEPT },
      scopes: [repositoryScope(repository, 'pull')],
      expect: [200],
      what,
      signal: options.signal,
    });
    const url = this.transport.url(`/v2/${repository}/manifests/${ref}`).href;
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (declared > this.maxManifestBytes) {
      await res.body?.cancel().catch(() => undefined);
      throw new ClientError(
        'too_large',
        `${what}: ${declared} bytes, limit ${this.maxManifestBytes}`,
        { method: 'GET', url, status: 200 },
      );
    }
    const bytes = await readLimited(
      bodyStream(res, 'GET', url, options.signal),
      this.maxManifestBytes,
      what,
    );
    const announced = res.headers.get('docker-content-digest');
    const expected = isDigest(ref)
      ? ref
      : announced !== null && isDigest(announced)
        ? announced
        : undefined;
    const digest = digestOf(bytes, algorithmOf(expected ?? 'sha256'));
    if (expected !== undefined && digest !== expected) {
      throw new ClientError('digest_mismatch', `${what}: content is ${digest}`, {
        method: 'GET',
        url,
        status: 200,
      });
    }
    if (typeof reference !== 'string' && bytes.length !== reference.size) {
      throw new ClientError(
        'digest_mismatch',
        `${what}: ${bytes.length} bytes, expected ${reference.size}`,
        { method: 'GET', url, status: 200 },
      );
    }
    const mediaType =
      typeof reference !== 'string' && isManifestType(reference.mediaType)
        ? reference.mediaType
        : mediaTypeOf(bytes, res.headers.get('content-type'));
    return { descriptor: { mediaType, digest, size: bytes.length }, bytes };
  }

  /**
   * GET a blob as a stream. From the start it is verified while it streams (the stream fails
   * with 'digest_mismatch'); from `offset` (resuming) it is not: the receiver checks the whole.
   */
  async fetchBlob(
    repository: string,
    descriptor: Descriptor,
    options: FetchOptions = {},
  ): Promise<Readable> {
    const offset = options.offset ?? 0;
    const path = `/v2/${repository}/blobs/${descriptor.digest}`;
    const res = await this.transport.send({
      method: 'GET',
      path,
      headers: offset > 0 ? { range: `bytes=${offset}-` } : {},
      scopes: [repositoryScope(repository, 'pull')],
      expect: [200, 206],
      what: `fetch blob ${repository}@${descriptor.digest}`,
      signal: options.signal,
    });
    const stream = bodyStream(res, 'GET', this.transport.url(path).href, options.signal);
    if (offset === 0) return verifying(stream, descriptor);
    return res.status === 206 ? stream : skipBytes(stream, offset);
  }

  /**
   * GET a whole blob whose size is not known yet (a pull-through cache asked by digest only):
   * the size the registry announces, and the body verified against digest and that size.
   */
  async openBlob(
    repository: string,
    digest: Digest,
    options: OpenBlobOptions = {},
  ): Promise<{ size: number; stream: Readable }> {
    const { size, body } = await this.openBlobBody(repository, digest, options);
    return {
      size,
      stream: verifying(body, { mediaType: 'application/octet-stream', digest, size }),
    };
  }

  /**
   * As `openBlob`, but the body is NOT verified: for a caller that hashes and counts the bytes
   * itself as it copies them (one pass over each chunk instead of a verifying stream between),
   * and never keeps or serves them as the blob before digest and size matched.
   */
  async openBlobBody(
    repository: string,
    digest: Digest,
    options: OpenBlobOptions = {},
  ): Promise<{ size: number; body: Readable }> {
    const path = `/v2/${repository}/blobs/${digest}`;
    const what = `fetch blob ${repository}@${digest}`;
    const res = await this.transport.stream({
      method: 'GET',
      path,
      scopes: [repositoryScope(repository, 'pull')],
      expect: [200],
      what,
      signal: options.signal,
      idleTimeoutMs: options.idleTimeoutMs,
    });
    const size = Number(res.headers.get('content-length') ?? NaN);
    if (!Number.isSafeInteger(size) || size < 0) {
      res.body.destroy();
      throw new ClientError('protocol', `${what}: response has no Content-Length`, {
        method: 'GET',
        status: res.status,
      });
    }
    return { size, body: res.body };
  }

  async blobExists(
    repository: string,
    digest: Digest,
    options: CallOptions = {},
  ): Promise<boolean> {
    return this.exists(repository, 'blobs', digest, options);
  }

  async manifestExists(
    repository: string,
    reference: string,
    options: CallOptions = {},
  ): Promise<boolean> {
    return this.exists(repository, 'manifests', reference, options);
  }

  private async exists(
    repository: string,
    kind: 'blobs' | 'manifests',
    reference: string,
    options: CallOptions,
  ): Promise<boolean> {
    const res = await this.transport.send({
      method: 'HEAD',
      path: `/v2/${repository}/${kind}/${reference}`,
      headers: kind === 'manifests' ? { accept: MANIFEST_ACCEPT } : {},
      scopes: [repositoryScope(repository, 'pull')],
      expect: [200, 404],
      what: `check ${repository}@${reference}`,
      signal: options.signal,
    });
    await discard(res);
    return res.status === 200;
  }

  /**
   * Pushes a blob. Small ones go in one PUT, large ones in chunks. A Buffer is resumed after
   * failures (the upload goes on from where the registry got to); a stream is sent once.
   */
  async pushBlob(
    repository: string,
    expected: Descriptor,
    content: Buffer | Readable,
    options: PushOptions = {},
  ): Promise<void> {
    if (Buffer.isBuffer(content)) {
      const target = this.repository(repository);
      await pushResumable(target, expected, async (offset) => content.subarray(offset), {
        ...options,
        retry: this.retry,
      });
      return;
    }
    const session = await this.startUpload(repository, options);
    await this.writeUpload(session, expected, content, options);
  }

  startUpload(repository: string, options: CallOptions = {}): Promise<UploadSession> {
    return uploads.startUpload(this.transport, repository, options);
  }

  /** Asks how far an upload got (after an interruption); the session's offset says where to go on. */
  uploadStatus(session: UploadSession, options: CallOptions = {}): Promise<UploadSession> {
    return uploads.uploadStatus(this.transport, session, options);
  }

  /** Sends the blob from `session.offset` on (content starts there) and completes the upload. */
  writeUpload(
    session: UploadSession,
    expected: Descriptor,
    content: Buffer | Readable,
    options: PushOptions = {},
  ): Promise<void> {
    return uploads.writeUpload(this.transport, session, expected, content, this.tuning, options);
  }

  cancelUpload(session: UploadSession, options: CallOptions = {}): Promise<void> {
    return uploads.cancelUpload(this.transport, session, options);
  }

  /** Cross-repository mount; when the registry declines, the upload session it opened instead. */
  mountBlob(
    repository: string,
    descriptor: Descriptor,
    fromRepository: string,
    options: CallOptions = {},
  ): Promise<MountResult> {
    return uploads.mountBlob(this.transport, repository, descriptor, fromRepository, options);
  }

  /** PUT a manifest under a tag or its digest; returns its descriptor. The bytes go as they are. */
  async pushManifest(
    repository: string,
    reference: string,
    bytes: Buffer,
    mediaType: string,
    /** `force`: ask past the store's immutability rules (an owner's explicit republish). */
    options: CallOptions & { force?: boolean } = {},
  ): Promise<Descriptor> {
    const what = `push manifest ${repository}:${reference}`;
    if (bytes.length > this.maxManifestBytes)
      throw new ClientError(
        'too_large',
        `${what}: ${bytes.length} bytes, limit ${this.maxManifestBytes}`,
      );
    const digest = digestOf(bytes, isDigest(reference) ? algorithmOf(reference) : 'sha256');
    if (isDigest(reference) && digest !== reference)
      throw new ClientError('digest_mismatch', `${what}: content is ${digest}`);
    const res = await this.transport.send({
      method: 'PUT',
      path: `/v2/${repository}/manifests/${reference}${options.force ? '?force=true' : ''}`,
      headers: { 'content-type': mediaType },
      body: bytes,
      scopes: [repositoryScope(repository, 'pull', 'push')],
      expect: [201],
      what,
      signal: options.signal,
    });
    await discard(res);
    const stored = res.headers.get('docker-content-digest');
    if (stored !== null && algorithmOf(stored) === algorithmOf(digest) && stored !== digest) {
      throw new ClientError('protocol', `${what}: registry stored ${stored}, sent ${digest}`, {
        method: 'PUT',
        status: 201,
      });
    }
    return { mediaType, digest, size: bytes.length };
  }

  /** All tags, following `Link: <...>; rel="next"` pages. */
  async listTags(
    repository: string,
    options: CallOptions & { pageSize?: number; last?: string } = {},
  ): Promise<string[]> {
    const tags: string[] = [];
    for await (const tag of this.tags(repository, options)) tags.push(tag);
    return tags;
  }

  async *tags(
    repository: string,
    options: CallOptions & { pageSize?: number; last?: string } = {},
  ): AsyncGenerator<string> {
    const what = `list tags of ${repository}`;
    let next: string | undefined = this.transport.url(`/v2/${repository}/tags/list`, {
      n: options.pageSize === undefined ? undefined : String(options.pageSize),
      last: options.last,
    }).href;
    while (next !== undefined) {
      const res = await this.transport.send({
        method: 'GET',
        path: next,
        scopes: [repositoryScope(repository, 'pull')],
        expect: [200],
        what,
        signal: options.signal,
      });
      const text = await readLimited(
        bodyStream(res, 'GET', next, options.signal),
        MAX_TAG_LIST_BYTES,
        what,
      );
      let body: { tags?: unknown };
      try {
        body = JSON.parse(text.toString('utf8')) as { tags?: unknown };
      } catch (err) {
        throw new ClientError('protocol', `${what}: body is not JSON`, { url: next, cause: err });
      }
      const page = Array.isArray(body.tags)
        ? body.tags.filter((t): t is string => typeof t === 'string')
        : [];
      yield* page;
      next = nextLink(res.headers.get('link'), next, this.baseUrl);
    }
  }

  /**
   * The manifests whose subject is `digest` (OCI referrers API, following `Link` pages); a
   * registry without the API (404) is asked for the referrers tag `<alg>-<hex>` instead, the
   * distribution-spec fallback. None found: an empty list.
   */
  async referrers(
    repository: string,
    digest: Digest,
    options: CallOptions = {},
  ): Promise<Descriptor[]> {
    const what = `list referrers of ${repository}@${digest}`;
    const found: Descriptor[] = [];
    let next: string | undefined = this.transport.url(`/v2/${repository}/referrers/${digest}`).href;
    try {
      while (next !== undefined) {
        const res = await this.transport.send({
          method: 'GET',
          path: next,
          headers: { accept: MediaTypes.ociIndex },
          scopes: [repositoryScope(repository, 'pull')],
          expect: [200],
          what,
          signal: options.signal,
        });
        const bytes = await readLimited(
          bodyStream(res, 'GET', next, options.signal),
          this.maxManifestBytes,
          what,
        );
        found.push(...referrerList(bytes, what));
        next = nextLink(res.headers.get('link'), next, this.baseUrl);
      }
      return found;
    } catch (err) {
      if (!isClientError(err, 'not_found') || found.length > 0) throw err;
    }
    try {
      const tag = digest.replace(':', '-');
      return referrerList((await this.fetchManifest(repository, tag, options)).bytes, what);
    } catch (err) {
      if (isClientError(err, 'not_found')) return [];
      throw err;
    }
  }

  /** DELETE a manifest by digest (and its tags), or only a tag where the registry supports it. */
  async deleteManifest(
    repository: string,
    reference: string,
    options: CallOptions = {},
  ): Promise<void> {
    await this.delete(repository, 'manifests', reference, options);
  }

  async deleteBlob(repository: string, digest: Digest, options: CallOptions = {}): Promise<void> {
    await this.delete(repository, 'blobs', digest, options);
  }

  private async delete(
    repository: string,
    kind: 'blobs' | 'manifests',
    reference: string,
    options: CallOptions,
  ): Promise<void> {
    const res = await this.transport.send({
      method: 'DELETE',
      path: `/v2/${repository}/${kind}/${reference}`,
      scopes: [repositoryScope(repository, 'delete')],
      expect: [200, 202, 204],
      what: `delete ${repository}@${reference}`,
      signal: options.signal,
    });
    await discard(res);
  }
}

/** The `rel="next"` target of a Link header, only when it stays on the registry's origin. */
export function nextLink(
  header: string | null,
  current: string,
  origin: string,
): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (!m || !/;\s*rel="?next"?/i.test(m[2] ?? '')) continue;
    const url = new URL(m[1] ?? '', current);
    if (url.origin !== origin)
      throw new ClientError('protocol', `tag list pagination leaves the registry: ${url.origin}`);
    return url.href;
  }
  return undefined;
}

/** The manifests of a referrers answer (an image index). */
function referrerList(bytes: Buffer, what: string): Descriptor[] {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new ClientError('protocol', `${what}: body is not JSON`, { cause: err });
  }
  const index = ImageIndex.safeParse(json);
  if (!index.success)
    throw new ClientError('protocol', `${what}: not an image index`, { cause: index.error });
  return index.data.manifests;
}
