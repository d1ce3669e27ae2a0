/**
 * Content interfaces cut by capability, as oras-go's `content` package cuts them: a copy needs a
 * source that can resolve and fetch, and a target that can check, push and push by reference.
 * The remote repository and the OCI image layout both implement them; optional capabilities
 * (mount, resumable upload, tag listing, delete) are detected with the guards below.
 *
 * Every call takes a descriptor, so every store can verify what it reads or writes.
 */
import type { Readable } from 'node:stream';
import type { Descriptor } from '../../schemas/oci.js';

export interface CallOptions {
  signal?: AbortSignal;
}

export interface FetchOptions extends CallOptions {
  /**
   * Start at this byte (resuming a transfer). The content is verified against the descriptor
   * only when read from the start.
   */
  offset?: number;
}

export interface PushOptions extends CallOptions {
  /** Called as bytes are accepted by the store: total bytes of this blob so far. */
  onProgress?: (bytesDone: number) => void;
}

/** Reads content by descriptor: a stream that fails with ClientError('digest_mismatch') on bad bytes. */
export interface Fetcher {
  fetch(target: Descriptor, options?: FetchOptions): Promise<Readable>;
}

/** Pushes content that must match `expected` (digest and size); all or nothing. */
export interface Pusher {
  push(expected: Descriptor, content: Buffer | Readable, options?: PushOptions): Promise<void>;
}

export interface ReadOnlyStorage extends Fetcher {
  exists(target: Descriptor, options?: CallOptions): Promise<boolean>;
}

export interface Storage extends ReadOnlyStorage, Pusher {}

/** Turns a tag or digest into the descriptor of the manifest it names. */
export interface Resolver {
  resolve(reference: string, options?: CallOptions): Promise<Descriptor>;
}

/** Pushes a manifest and points `reference` (a tag, or its own digest) at it in one step. */
export interface ReferencePusher {
  pushReference(
    expected: Descriptor,
    content: Buffer,
    reference: string,
    options?: CallOptions,
  ): Promise<void>;
}

export interface TagLister {
  /** Tags in the registry's order, page by page (`last`: start after this tag). */
  tags(options?: CallOptions & { last?: string; pageSize?: number }): AsyncIterable<string>;
}

export interface Deleter {
  delete(target: Descriptor, options?: CallOptions): Promise<void>;
}

/** An upload in progress: where to send the next bytes, and how many the store already has. */
export interface UploadSession {
  readonly repository: string;
  location: string;
  offset: number;
}

export type MountResult = { mounted: true } | { mounted: false; session: UploadSession };

/** Cross-repository mount: link a blob the registry already holds in another repository. */
export interface Mounter {
  mount(target: Descriptor, fromRepository: string, options?: CallOptions): Promise<MountResult>;
}

/**
 * Uploads that survive an interruption: start one, ask the store how far it got, and write
 * the rest (the stream starts at `session.offset`).
 */
export interface ResumablePusher {
  startUpload(options?: CallOptions): Promise<UploadSession>;
  uploadStatus(session: UploadSession, options?: CallOptions): Promise<UploadSession>;
  writeUpload(
    session: UploadSession,
    expected: Descriptor,
    content: Buffer | Readable,
    options?: PushOptions,
  ): Promise<void>;
  /** Gives up on an upload (best effort: registries drop idle sessions anyway). */
  abortUpload(session: UploadSession, options?: CallOptions): Promise<void>;
}

/** What `copyImage` reads from. */
export interface CopySource extends Fetcher, Resolver {}

/** What `copyImage` writes to. */
export interface CopyTarget extends Storage, ReferencePusher {}

/** A registry (or layout) that hands out per-repository stores. */
export interface RepositoryProvider<T = CopySource & CopyTarget> {
  /** `host[:port]` of a remote registry; undefined for local stores. Equal hosts can mount. */
  readonly host?: string | undefined;
  repository(name: string): T;
}

export function canMount(store: object): store is Mounter {
  return typeof (store as Partial<Mounter>).mount === 'function';
}

export function canResume(store: object): store is ResumablePusher {
  const s = store as Partial<ResumablePusher>;
  return (
    typeof s.startUpload === 'function' &&
    typeof s.uploadStatus === 'function' &&
    typeof s.writeUpload === 'function' &&
    typeof s.abortUpload === 'function'
  );
}

/** A platform, as index descriptors carry it. */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}
