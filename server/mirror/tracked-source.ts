/**
 * The upstream registry as a copy source that remembers which blob or manifest failed: a run
 * that stops midway says where (the copier's error names the request, not always the digest).
 */
import type { Readable } from 'node:stream';
import type { Descriptor } from '../../schemas/oci.js';
import type {
  CallOptions,
  CopySource,
  FetchOptions,
  RegistryClient,
  RepositoryProvider,
} from '../../registry/client/index.js';

export class TrackedSource implements RepositoryProvider<CopySource> {
  /** The digest of the last fetch that failed (at the request or while its body streamed). */
  failed: string | undefined;
  /** Blob bytes read from the upstream. */
  bytes = 0;

  constructor(readonly client: RegistryClient) {}

  get host(): string {
    return this.client.host;
  }

  repository(name: string): CopySource {
    const repo = this.client.repository(name);
    return {
      resolve: (reference: string, options?: CallOptions) => repo.resolve(reference, options),
      fetch: async (target: Descriptor, options?: FetchOptions): Promise<Readable> => {
        let stream: Readable;
        try {
          stream = await repo.fetch(target, options);
        } catch (err) {
          this.failed = target.digest;
          throw err;
        }
        stream.on('data', (chunk: Buffer) => (this.bytes += chunk.length));
        stream.once('error', () => (this.failed = target.digest));
        return stream;
      },
    };
  }
}
