/**
 * One proxy's upstream registry, through the shared registry client (Docker Hub style token
 * auth, redirects, retries with back-off): at most `maxConcurrent` requests at once, and none
 * that stays silent longer than `timeoutSeconds` (then it fails, and what is held is served).
 */
import { Transform, type Readable } from 'node:stream';
import type { Descriptor, Digest } from '../../schemas/oci.js';
import { ClientError, RegistryClient, type FetchedManifest } from '../client/index.js';
import { OciError } from '../errors.js';
import { Limiter } from './limiter.js';
import type { ProxyConfig } from './proxy-config.js';

/** A few quick retries: a client waits while we try, and stale content may be waiting too. */
const RETRY = { attempts: 3, baseDelayMs: 100, maxDelayMs: 1000 };

export class Upstream {
  private readonly client: RegistryClient;
  private readonly limiter: Limiter;
  private readonly timeoutMs: number;

  constructor(
    readonly proxy: ProxyConfig,
    fetchFn: typeof fetch | undefined,
  ) {
    this.client = new RegistryClient({
      host: proxy.upstream,
      ...(proxy.username || proxy.password
        ? { credentials: { username: proxy.username, password: proxy.password } }
        : {}),
      retry: RETRY,
      ...(fetchFn ? { fetch: fetchFn } : {}),
      userAgent: 'appshelf-proxy/0.1',
    });
    this.limiter = new Limiter(proxy.maxConcurrent);
    this.timeoutMs = proxy.timeoutSeconds * 1000;
  }

  /** HEAD of a tag: its descriptor now (a re-check that changes nothing costs no manifest GET). */
  resolve(repository: string, tag: string): Promise<Descriptor> {
    return this.limiter.run(() =>
      this.client.resolve(repository, tag, { signal: AbortSignal.timeout(this.timeoutMs) }),
    );
  }

  /** A manifest's exact bytes and media type. */
  manifest(repository: string, reference: string): Promise<FetchedManifest> {
    return this.limiter.run(() =>
      this.client.fetchManifest(repository, reference, {
        signal: AbortSignal.timeout(this.timeoutMs),
      }),
    );
  }

  /**
   * A blob: its size and its body, verified against the digest. The body fails when the upstream
   * sends nothing for `timeoutSeconds`. The request holds its concurrency slot until the body ends.
   */
  async blob(repository: string, digest: Digest): Promise<{ size: number; stream: Readable }> {
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    let opened: (value: { size: number; stream: Readable }) => void;
    let failed: (err: unknown) => void;
    const result = new Promise<{ size: number; stream: Readable }>((resolve, reject) => {
      opened = resolve;
      failed = reject;
    });
    void this.limiter.run(async () => {
      const abort = new AbortController();
      let timer = setTimeout(() => abort.abort(), this.timeoutMs);
      try {
        const { size, stream } = await this.client.openBlob(repository, digest, {
          signal: abort.signal,
        });
        const idle = new Transform({
          transform: (chunk: Buffer, _enc, next) => {
            clearTimeout(timer);
            timer = setTimeout(() => abort.abort(), this.timeoutMs);
            next(null, chunk);
          },
        });
        stream.on('error', (err) => idle.destroy(err));
        idle.once('close', () => {
          clearTimeout(timer);
          if (!stream.destroyed) stream.destroy();
          release();
        });
        opened({ size, stream: stream.pipe(idle) });
        await done;
      } catch (err) {
        clearTimeout(timer);
        failed(err);
      }
    });
    return result;
  }
}

/** Whether a failure of the upstream lets held content be served instead (down, slow, 429, 5xx). */
export function upstreamUnreachable(err: unknown): boolean {
  return (
    err instanceof ClientError &&
    (err.code === 'network' ||
      err.code === 'unavailable' ||
      err.code === 'aborted' ||
      err.code === 'blocked' ||
      err.code === 'protocol')
  );
}

/** The OCI error a client gets for an upstream failure when nothing is held. */
export function upstreamError(proxy: ProxyConfig, err: unknown, what: string): OciError {
  if (err instanceof ClientError) {
    if (err.code === 'not_found')
      return new OciError(
        what === 'blob' ? 'BLOB_UNKNOWN' : 'MANIFEST_UNKNOWN',
        `not found upstream at ${proxy.upstream}`,
        { upstream: proxy.upstream },
      );
    if (err.code === 'unauthorized' || err.code === 'denied')
      return new OciError(
        'UNAVAILABLE',
        `upstream ${proxy.upstream} refused the proxy's credentials`,
        {
          upstream: proxy.upstream,
        },
      );
  }
  const reason = err instanceof ClientError ? err.code : 'failed';
  return new OciError(
    'UNAVAILABLE',
    `upstream ${proxy.upstream} is unavailable (${reason}) and the ${what} is not cached`,
    { upstream: proxy.upstream, proxy: proxy.name },
  );
}
