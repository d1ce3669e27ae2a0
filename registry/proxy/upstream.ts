/**
 * One proxy's upstream registry, through the shared registry client (Docker Hub style token
 * auth, redirects, retries with back-off): at most `maxConcurrent` requests at once, and none
 * that stays silent longer than `timeoutSeconds` (then it fails, and what is held is served).
 */
import '../client/builtin-fetch-first.js';
import type { Readable } from 'node:stream';
import { Agent, type Dispatcher } from 'undici';
import type { Descriptor, Digest } from '../../schemas/oci.js';
import { ClientError, RegistryClient, type FetchedManifest } from '../client/index.js';
import { OciError } from '../errors.js';
import { Limiter } from './limiter.js';
import type { ProxyConfig } from './proxy-config.js';

/** The fetch upstream requests go through, with the undici dispatcher it sends on. */
export type UpstreamFetch = typeof fetch & { dispatcher: Dispatcher };

/** A few quick retries: a client waits while we try, and stale content may be waiting too. */
const RETRY = { attempts: 3, baseDelayMs: 100, maxDelayMs: 1000 };

export class Upstream {
  private readonly client: RegistryClient;
  private readonly limiter: Limiter;
  private readonly timeoutMs: number;
  /** A dispatcher of our own, when none was given (closed with the upstream). */
  private readonly ownDispatcher: Agent | undefined;

  constructor(
    readonly proxy: ProxyConfig,
    fetchFn: UpstreamFetch | undefined,
  ) {
    this.ownDispatcher = fetchFn ? undefined : new Agent();
    this.client = new RegistryClient({
      host: proxy.upstream,
      ...(proxy.username || proxy.password
        ? { credentials: { username: proxy.username, password: proxy.password } }
        : {}),
      retry: RETRY,
      ...(fetchFn ? { fetch: fetchFn } : {}),
      // Blob bodies go over undici's request on the fetch's own dispatcher (the same guard).
      dispatcher: fetchFn?.dispatcher ?? this.ownDispatcher,
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
   * A blob: its size and its body, NOT verified (the caller hashes it as it copies: BlobFill).
   * Opening fails after `timeoutSeconds`; the body fails when the upstream sends nothing for
   * that long (undici's body timeout: no timer of ours re-armed per chunk). The request holds
   * its concurrency slot until the body is done.
   */
  async blob(repository: string, digest: Digest): Promise<{ size: number; body: Readable }> {
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    let opened: (value: { size: number; body: Readable }) => void;
    let failed: (err: unknown) => void;
    const result = new Promise<{ size: number; body: Readable }>((resolve, reject) => {
      opened = resolve;
      failed = reject;
    });
    void this.limiter.run(async () => {
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), this.timeoutMs);
      try {
        const blob = await this.client.openBlobBody(repository, digest, {
          signal: abort.signal,
          idleTimeoutMs: this.timeoutMs,
        });
        clearTimeout(timer);
        blob.body.once('close', release);
        opened(blob);
        await done;
      } catch (err) {
        clearTimeout(timer);
        failed(err);
      }
    });
    return result;
  }

  /** Ends the kept-alive connections of a dispatcher of our own. */
  async close(): Promise<void> {
    await this.ownDispatcher?.close();
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
