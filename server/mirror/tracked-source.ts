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
  /** Which fetch each failure came from: the copy rethrows its first failure, this names it. */
  private readonly failures = new WeakMap<object, string>();
  /** Blob bytes read from the upstream. */
  bytes = 0;

  constructor(readonly client: RegistryClient) {}

  get host(): string {
    return this.client.host;
  }

  /** The digest whose fetch failed with `err` (else the last that failed). */
  digestOf(err: unknown): string | undefined {
    return (typeof err === 'object' && err !== null && this.failures.get(err)) || this.failed;
  }

  private fail(err: unknown, digest: string): void {
    this.failed = digest;
    if (typeof err === 'object' && err !== null) this.failures.set(err, digest);
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
          this.fail(err, target.digest);
          throw err;
        }
        stream.on('data', (chunk: Buffer) => (this.bytes += chunk.length));
        stream.once('error', (err) => this.fail(err, target.digest));
        return stream;
      },
    };
  }
}
