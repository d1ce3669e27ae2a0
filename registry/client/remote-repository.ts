/**
 * One repository of a remote registry as a content store (oras-go's `remote.Repository`):
 * descriptors of manifest media types go to `/manifests/`, everything else to `/blobs/`.
 */
import { Readable } from 'node:stream';
import type { Descriptor } from '../../schemas/oci.js';
import type {
  CallOptions,
  CopySource,
  CopyTarget,
  Deleter,
  FetchOptions,
  MountResult,
  Mounter,
  PushOptions,
  ResumablePusher,
  TagLister,
  UploadSession,
} from './content.js';
import { readLimited, verifyBytes } from './digest.js';
import { isManifestType } from './manifest.js';
import type { RegistryClient } from './registry-client.js';

export class RemoteRepository
  implements CopySource, CopyTarget, Mounter, ResumablePusher, TagLister, Deleter
{
  constructor(
    readonly client: RegistryClient,
    readonly name: string,
  ) {}

  resolve(reference: string, options: CallOptions = {}): Promise<Descriptor> {
    return this.client.resolve(this.name, reference, options);
  }

  async fetch(target: Descriptor, options: FetchOptions = {}): Promise<Readable> {
    if (!isManifestType(target.mediaType)) return this.client.fetchBlob(this.name, target, options);
    const { bytes } = await this.client.fetchManifest(this.name, target, options);
    return Readable.from([bytes.subarray(options.offset ?? 0)]);
  }

  /** The manifest's exact bytes (verified against `target`). */
  async fetchManifest(target: Descriptor, options: CallOptions = {}): Promise<Buffer> {
    return (await this.client.fetchManifest(this.name, target, options)).bytes;
  }

  exists(target: Descriptor, options: CallOptions = {}): Promise<boolean> {
    return isManifestType(target.mediaType)
      ? this.client.manifestExists(this.name, target.digest, options)
      : this.client.blobExists(this.name, target.digest, options);
  }

  async push(
    expected: Descriptor,
    content: Buffer | Readable,
    options: PushOptions = {},
  ): Promise<void> {
    if (!isManifestType(expected.mediaType))
      return this.client.pushBlob(this.name, expected, content, options);
    const bytes = Buffer.isBuffer(content)
      ? content
      : await readLimited(content, this.client.maxManifestBytes, `manifest ${expected.digest}`);
    await this.pushReference(expected, bytes, expected.digest, options);
    options.onProgress?.(bytes.length);
  }

  async pushReference(
    expected: Descriptor,
    content: Buffer,
    reference: string,
    options: CallOptions = {},
  ): Promise<void> {
    verifyBytes(content, expected);
    await this.client.pushManifest(this.name, reference, content, expected.mediaType, options);
  }

  mount(
    target: Descriptor,
    fromRepository: string,
    options: CallOptions = {},
  ): Promise<MountResult> {
    return this.client.mountBlob(this.name, target, fromRepository, options);
  }

  startUpload(options: CallOptions = {}): Promise<UploadSession> {
    return this.client.startUpload(this.name, options);
  }

  uploadStatus(session: UploadSession, options: CallOptions = {}): Promise<UploadSession> {
    return this.client.uploadStatus(session, options);
  }

  writeUpload(
    session: UploadSession,
    expected: Descriptor,
    content: Buffer | Readable,
    options: PushOptions = {},
  ): Promise<void> {
    return this.client.writeUpload(session, expected, content, options);
  }

  abortUpload(session: UploadSession, options: CallOptions = {}): Promise<void> {
    return this.client.cancelUpload(session, options);
  }

  tags(options: CallOptions & { last?: string; pageSize?: number } = {}): AsyncIterable<string> {
    return this.client.tags(this.name, options);
  }

  delete(target: Descriptor, options: CallOptions = {}): Promise<void> {
    return isManifestType(target.mediaType)
      ? this.client.deleteManifest(this.name, target.digest, options)
      : this.client.deleteBlob(this.name, target.digest, options);
  }
}
