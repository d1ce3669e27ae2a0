/**
 * The pull-through caches (ARCHITECTURE.md §8): a manifest or blob a proxied repository does not
 * hold is fetched from its upstream on first pull, streamed to the client while it is stored,
 * and served from here afterwards. Manifests are kept byte for byte with the media type the
 * upstream gave (never converted: digests and signatures survive). A pull by digest never asks
 * the upstream again once held; a tag is re-checked (HEAD) only after its TTL; when the upstream
 * is down, slow or rate-limited, what is held is served (tags past their TTL included) and what
 * is not gets a prompt UNAVAILABLE naming the upstream.
 */
import type { Logger } from 'pino';
import type { Digest } from '../../schemas/oci.js';
import { OciError } from '../errors.js';
import type { Call } from '../http/context.js';
import { parseManifest } from '../manifests/parse-manifest.js';
import type { RegistryDatabase } from '../metadata/registry-metadata.js';
import type {
  MaybePromise,
  RegistryMetadata,
  StoredManifest,
} from '../metadata/registry-metadata.js';
import { algorithmOf, parseDigest, referenceOf } from '../names.js';
import type { BlobStore } from '../storage/blob-store.js';
import { blobKey } from '../storage/keys.js';
import { BlobFill } from './blob-fill.js';
import { Coalescer } from './coalescer.js';
import { ProxyBook, type ProxyCounters } from './proxy-book.js';
import type { ProxyConfig } from './proxy-config.js';
import { ProxyRoutes, type ProxyTarget } from './proxy-routes.js';
import { Upstream, upstreamError, upstreamUnreachable, type UpstreamFetch } from './upstream.js';

export interface ProxyStats extends ProxyCounters {
  name: string;
  upstream: string;
  repositories: number;
  bytes: number;
}

export interface PullThroughDeps {
  /** Where the caches' bookkeeping is kept (either engine). */
  database: RegistryDatabase;
  meta: RegistryMetadata;
  blobs: BlobStore;
  log: Logger;
  clock: () => number;
  proxies: readonly ProxyConfig[];
  /** The fetch upstream requests go through (the outbound guard's, in the server). */
  fetch?: UpstreamFetch | undefined;
}

export class PullThrough {
  readonly routes: ProxyRoutes;
  private readonly upstreams = new Map<string, Upstream>();
  private readonly book: ProxyBook;
  private readonly manifestFetches = new Coalescer<StoredManifest>();
  private readonly blobFetches = new Coalescer<void>();
  /** Repositories known to be held locally (Docker mirror routing asks; they never stop being). */
  private readonly localRepositories = new Set<string>();

  constructor(private readonly deps: PullThroughDeps) {
    this.routes = new ProxyRoutes(deps.proxies);
    for (const proxy of deps.proxies)
      this.upstreams.set(proxy.name, new Upstream(proxy, deps.fetch));
    this.book = new ProxyBook(deps.database, deps.clock, deps.log);
  }

  /**
   * The proxy target of a pull, or undefined for a local repository. Only with a Docker mirror
   * configured does an unprefixed name cost a lookup (is it held locally?), and once per name.
   */
  target(
    repository: string,
    ns: string | null,
    method: string,
  ): MaybePromise<ProxyTarget | undefined> {
    const routed = this.routes.resolve(repository, ns);
    if (routed || !this.routes.mirror || (method !== 'GET' && method !== 'HEAD')) return routed;
    if (this.localRepositories.has(repository)) return undefined;
    return this.mirroredTarget(repository);
  }

  private async mirroredTarget(repository: string): Promise<ProxyTarget | undefined> {
    if (await this.deps.meta.repositoryExists(repository)) {
      this.localRepositories.add(repository);
      return undefined;
    }
    return this.routes.mirrored(repository);
  }

  /** A manifest by tag or digest, from the cache or the upstream. */
  async manifest(target: ProxyTarget, reference: string): Promise<StoredManifest> {
    const { proxy, repository } = target;
    const ref = referenceOf(reference);
    if (!ref)
      throw new OciError('MANIFEST_UNKNOWN', undefined, { reference: reference.slice(0, 200) });
    const { meta } = this.deps;
    const held =
      ref.kind === 'digest'
        ? await meta.manifestByDigest(repository, ref.digest)
        : await meta.manifestByTag(repository, ref.tag);
    const fresh =
      held !== undefined &&
      (ref.kind === 'digest' ||
        this.deps.clock() - this.book.tagCheckedAt(repository, ref.tag) <
          proxy.tagTtlSeconds * 1000);
    if (held && fresh) {
      this.hit(proxy, repository, held.digest);
      return held;
    }
    try {
      return await this.manifestFetches.run(`${repository}@${reference}`, () =>
        ref.kind === 'tag' && held
          ? this.recheck(target, ref.tag, held)
          : this.fill(target, reference),
      ).promise;
    } catch (err) {
      if (err instanceof OciError) throw err;
      this.book.count(proxy.name, 'upstreamErrors');
      if (held && upstreamUnreachable(err)) {
        this.deps.log.warn(
          { proxy: proxy.name, repo: repository, reference, reason: (err as Error).message },
          'upstream unavailable: serving the cached tag',
        );
        this.hit(proxy, repository, held.digest);
        return held;
      }
      throw upstreamError(proxy, err, 'manifest');
    }
  }

  /** Serves a blob: from the cache, or fetched, stored and streamed at once. */
  async blob(target: ProxyTarget, call: Call, serveHeld: () => Promise<void>): Promise<void> {
    const { proxy, repository } = target;
    const digest = parseDigest(call.param, 'BLOB_UNKNOWN');
    if (await this.holds(target, digest)) return serveHeld();
    const { req, res } = call;
    // The first GET of the whole blob is streamed as it arrives; any other caller (a HEAD, a
    // range, a pull while it is on its way) is served from storage once it is stored.
    const streams = req.method === 'GET' && req.headers.range === undefined;
    let streamed = false;
    const { promise, leader } = this.blobFetches.run(digest, async () => {
      const upstream = this.upstream(proxy);
      let opened;
      try {
        opened = await upstream.blob(target.upstreamRepository, digest);
      } catch (err) {
        this.book.count(proxy.name, 'upstreamErrors');
        throw upstreamError(proxy, err, 'blob');
      }
      this.book.count(proxy.name, 'misses');
      const { size, body: upstreamBody } = opened;
      const { blobs } = this.deps;
      const fill = new BlobFill(upstreamBody, { digest, size }, (body) =>
        blobs.commit(repository, digest, size, {
          place: async () => void (await blobs.driver.write(blobKey(digest), body)),
          drop: async () => void body.resume(),
        }),
      );
      if (streams && !res.headersSent) {
        res.writeHead(200, {
          'Content-Type': 'application/octet-stream',
          'Docker-Content-Digest': digest,
          ETag: `"${digest}"`,
          'Content-Length': size,
        });
        fill.attach(res);
        streamed = true;
      }
      try {
        await fill.stored;
      } catch (err) {
        this.book.count(proxy.name, 'upstreamErrors');
        this.deps.log.warn(
          { proxy: proxy.name, repo: repository, digest, reason: (err as Error).message },
          'blob fetch from upstream failed; nothing stored',
        );
        throw upstreamError(proxy, err, 'blob');
      }
      await this.book.held(proxy.name, { repository, digest, kind: 'blob', size });
      await this.evict(proxy);
    });
    await promise;
    if (leader && streamed) return;
    if (!(await this.holds(target, digest)))
      throw new OciError('BLOB_UNKNOWN', undefined, { digest });
    return serveHeld();
  }

  /** Per proxy: what it holds and its counters (the admin API's `/admin/proxies`). */
  async stats(): Promise<ProxyStats[]> {
    return Promise.all(
      this.deps.proxies.map(async (proxy) => ({
        name: proxy.name,
        upstream: proxy.upstream,
        ...(await this.book.summary(proxy.name)),
      })),
    );
  }

  /**
   * Lets the fetches under way finish storing first: a client has had a blob's last byte before
   * its copy is stored (blob-fill.ts), so a shutdown right after a pull must not cut that copy.
   */
  async close(): Promise<void> {
    await Promise.all([this.blobFetches.settled(), this.manifestFetches.settled()]);
    const written = this.book.close();
    for (const upstream of this.upstreams.values()) void upstream.close();
    await written;
  }

  /** Whether the cache holds the blob (or the store does elsewhere: then it is linked here). */
  private async holds(target: ProxyTarget, digest: Digest): Promise<boolean> {
    const { blobs, meta } = this.deps;
    const { proxy, repository } = target;
    if ((await blobs.sizeIn(repository, digest)) !== undefined) {
      this.hit(proxy, repository, digest);
      return true;
    }
    const size = await meta.blobSize(digest);
    if (size === undefined || !(await meta.linkBlob(repository, digest))) return false;
    await this.book.held(proxy.name, { repository, digest, kind: 'blob', size });
    this.book.count(proxy.name, 'hits');
    return true;
  }

  /** A cached tag past its TTL: one HEAD upstream; a GET only when it moved. */
  private async recheck(
    target: ProxyTarget,
    tag: string,
    held: StoredManifest,
  ): Promise<StoredManifest> {
    const { proxy, repository } = target;
    const now = await this.upstream(proxy).resolve(target.upstreamRepository, tag);
    if (now.digest === held.digest) {
      this.book.tagChecked(repository, tag);
      this.hit(proxy, repository, held.digest);
      return held;
    }
    const known = await this.deps.meta.manifestByDigest(repository, now.digest);
    if (known) {
      await this.deps.meta.setTag(repository, tag, known.digest);
      this.book.tagChecked(repository, tag);
      this.hit(proxy, repository, known.digest);
      return known;
    }
    return this.fill(target, tag);
  }

  /** Fetches a manifest upstream and stores it as it came (and its tag, when asked by tag). */
  private async fill(target: ProxyTarget, reference: string): Promise<StoredManifest> {
    const { proxy, repository } = target;
    const fetched = await this.upstream(proxy).manifest(target.upstreamRepository, reference);
    this.book.count(proxy.name, 'misses');
    const { bytes, descriptor } = fetched;
    const parsed = parseManifest(bytes, descriptor.mediaType, algorithmOf(descriptor.digest));
    const tag = referenceOf(reference)?.kind === 'tag' ? reference : undefined;
    await this.deps.meta.putManifest({ repository, ...parsed, content: bytes }, tag, true);
    if (tag !== undefined) this.book.tagChecked(repository, tag);
    await this.book.held(proxy.name, {
      repository,
      digest: parsed.digest,
      kind: 'manifest',
      size: bytes.length,
    });
    await this.evict(proxy);
    return {
      digest: parsed.digest,
      mediaType: parsed.mediaType,
      size: bytes.length,
      content: bytes,
    };
  }

  /** Past maxBytes: lets go of the least recently pulled content (GC then frees its bytes). */
  private async evict(proxy: ProxyConfig): Promise<void> {
    if (proxy.maxBytes === 0) return;
    const { meta } = this.deps;
    for (const item of await this.book.evictBeyond(proxy.name, proxy.maxBytes)) {
      if (item.kind === 'blob') await meta.unlinkBlob(item.repository, item.digest);
      else await meta.deleteManifest(item.repository, item.digest);
      this.deps.log.info(
        { proxy: proxy.name, repo: item.repository, digest: item.digest, size: item.size },
        'evicted from the pull-through cache',
      );
    }
  }

  private hit(proxy: ProxyConfig, repository: string, digest: Digest): void {
    this.book.count(proxy.name, 'hits');
    this.book.touch(repository, digest);
  }

  private upstream(proxy: ProxyConfig): Upstream {
    return this.upstreams.get(proxy.name)!;
  }
}
