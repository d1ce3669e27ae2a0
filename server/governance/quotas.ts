/**
 * Storage quotas per namespace (issue 17 §1): the one place that decides whether bytes may go into
 * a namespace, for every way in — an upload or mount on /v2, a manifest PUT, image sync, the
 * mirror, the Rainstore publish: all link blobs and store manifests through the registry's guards.
 *
 * Usage is what the namespace's repositories hold: distinct blobs linked into them plus distinct
 * manifests, so a blob shared by several repositories of the namespace counts once. It is counted
 * by one SQL query over the registry's tables (an index range over `<namespace>/`), only for
 * namespaces that have a quota. Counting is linear in the namespace's blobs (measured on SQLite:
 * 2 ms for 2,000 blobs, 40 ms for 20,000, 440 ms for 100,000), too slow for every upload, so a
 * check uses the last count (at most USAGE_TTL_MS old) plus what was let in since, and counts
 * again before it refuses: a check costs two index lookups. Where that figure lives and how
 * checks of several processes meet is the repository's (quotas-sqlite.ts, quotas-pg.ts); the
 * checks' reads are plain values on SQLite, so its push path gains no microtask.
 */
import { z } from 'zod';
import {
  OciError,
  type BlobGuard,
  type ManifestGuard,
  type Registry,
} from '../../registry/index.js';
import { then, type MaybePromise } from '../db/maybe-promise.js';
import { StoreError } from '../errors.js';
import type { StoreEvents } from '../webhooks/store-events.js';
import type { QuotaRepository } from './quota-repository.js';

const bytes = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

export const QuotaSettings = z
  .strictObject({ limitBytes: bytes, warnBytes: bytes.default(0) })
  .refine((q) => q.limitBytes === 0 || q.warnBytes <= q.limitBytes, {
    message: 'warnBytes must not exceed limitBytes',
    path: ['warnBytes'],
  });
export type QuotaSettings = z.infer<typeof QuotaSettings>;

export const NamespaceUsage = z.strictObject({
  usedBytes: bytes,
  limitBytes: bytes,
  warnBytes: bytes,
});
export type NamespaceUsage = z.infer<typeof NamespaceUsage>;

const namespaceOf = (repository: string): string => repository.split('/')[0] ?? '';

const NO_QUOTA = { limitBytes: 0, warnBytes: 0, warned: false };

export class Quotas {
  constructor(
    private readonly deps: {
      repository: QuotaRepository;
      events?: StoreEvents | undefined;
      clock: () => number;
    },
  ) {}

  /** Bytes the namespace's repositories hold, each blob and manifest once (counted now). */
  async usedBytes(namespace: string): Promise<number> {
    return this.deps.repository.count(namespace, this.deps.clock());
  }

  /** The namespace's quota; zeros when it has none. */
  async settingsOf(namespace: string): Promise<QuotaSettings & { warned: boolean }> {
    return (await this.deps.repository.settingsOf(namespace)) ?? NO_QUOTA;
  }

  async usage(namespace: string): Promise<NamespaceUsage> {
    const { limitBytes, warnBytes } = await this.settingsOf(namespace);
    return { usedBytes: await this.usedBytes(namespace), limitBytes, warnBytes };
  }

  /** Sets (or with zeros, clears) a quota; a namespace already past the new warning level is told. */
  async set(namespace: string, settings: QuotaSettings): Promise<NamespaceUsage> {
    const { repository } = this.deps;
    const id = await repository.namespaceId(namespace);
    if (id === undefined) throw new StoreError('not_found', `no namespace "${namespace}"`);
    if (settings.limitBytes === 0 && settings.warnBytes === 0) await repository.clearQuota(id);
    else {
      await repository.setQuota(id, settings.limitBytes, settings.warnBytes, this.deps.clock());
      await this.noteUsage(namespace);
    }
    return this.usage(namespace);
  }

  /** Every namespace with what it holds and its quota (zeros: none), largest first (admin storage page). */
  async everyUsage(): Promise<({ namespace: string } & NamespaceUsage)[]> {
    const listed = await this.deps.repository.everyNamespace();
    const usage = [];
    for (const q of listed) usage.push({ ...q, usedBytes: await this.usedBytes(q.namespace) });
    return usage.sort(
      (a, b) => b.usedBytes - a.usedBytes || a.namespace.localeCompare(b.namespace),
    );
  }

  /** Every namespace with a quota, with its usage (for /metrics: a bounded label set). */
  async withQuotas(): Promise<({ namespace: string } & NamespaceUsage)[]> {
    const listed = await this.deps.repository.withQuotas();
    const usage = [];
    for (const q of listed) usage.push({ ...q, usedBytes: await this.usedBytes(q.namespace) });
    return usage;
  }

  /** Puts the quota in front of blob links and of the store's other manifest checks (`next`). */
  attach(registry: Registry, next: ManifestGuard): ManifestGuard {
    registry.setBlobGuard(this.blobGuard);
    registry.on((event) => {
      // A warning missed here (the database unreachable) is looked at again at the next push.
      if (event.type === 'manifest.pushed')
        this.noteUsage(namespaceOf(event.repository), { recent: true }).catch(() => undefined);
      else if (event.type === 'manifest.deleted')
        this.noteUsage(namespaceOf(event.repository)).catch(() => undefined);
    });
    return async (push) => {
      const { content, manifest } = push;
      await this.admit(push.repository, manifest.digest, content.length, 'manifest');
      await next(push);
    };
  }

  private readonly blobGuard: BlobGuard = ({ repository, digest, size }) =>
    then(this.admit(repository, digest, size, 'blob'), (admitted) => {
      if (!admitted || digest === undefined) return undefined;
      return () => {
        this.noteUsage(admitted.namespace, { recent: true }).catch(() => undefined);
      };
    });

  /**
   * Throws DENIED when `size` new bytes would take the repository's namespace past its limit;
   * content the namespace holds already (by digest) adds nothing. Bytes let in are added to the
   * usage figure at once. Returns the namespace when it has a quota (its warning level is then to
   * be looked at once the bytes are in). Plain values on SQLite: no microtask on its push path.
   */
  private admit(
    repository: string,
    digest: string | undefined,
    size: number,
    kind: 'blob' | 'manifest',
  ): MaybePromise<{ namespace: string } | undefined> {
    const { repository: quotas, clock } = this.deps;
    const namespace = namespaceOf(repository);
    return then(quotas.settingsOf(namespace), (settings) => {
      if (!settings || (settings.limitBytes === 0 && settings.warnBytes === 0)) return undefined;
      const { limitBytes } = settings;
      const held = digest === undefined ? false : quotas.holds(namespace, kind, digest);
      return then(held, (holds) => {
        if (holds) return { namespace };
        const reserved = quotas.reserve(namespace, size, limitBytes, digest, clock());
        return then(reserved, ({ admitted, usedBytes }) => {
          if (!admitted)
            throw new OciError(
              'DENIED',
              `storage quota of ${namespace} exceeded: ${formatBytes(usedBytes)} used of ` +
                `${formatBytes(limitBytes)}, this push needs ${formatBytes(size)} more`,
              { namespace, usedBytes, limitBytes, sizeBytes: size },
            );
          return { namespace };
        });
      });
    });
  }

  /**
   * Emits `quota_warning` when the namespace's usage has passed its warning level since it was
   * last told (once per crossing, whichever process sees it first), and forgets the crossing when
   * usage falls back below.
   */
  async noteUsage(namespace: string, options: { recent?: boolean } = {}): Promise<void> {
    const { repository, clock } = this.deps;
    const { limitBytes, warnBytes, warned } = await this.settingsOf(namespace);
    if (warnBytes === 0) return;
    let usedBytes = options.recent
      ? await repository.recentUsage(namespace, clock())
      : await repository.count(namespace, clock());
    if (options.recent && usedBytes >= warnBytes !== warned)
      usedBytes = await repository.count(namespace, clock());
    const above = usedBytes >= warnBytes;
    if (above === warned) return;
    // Only the process that flips the flag tells of the crossing.
    const flipped = await repository.flipWarned(namespace, above);
    if (above && flipped)
      this.deps.events?.emit({
        type: 'quota_warning',
        namespace,
        data: { usedBytes, warnBytes, limitBytes },
      });
  }
}

/** Bytes in binary units, as the CLI takes them (10 GiB). */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${n} B` : `${Number(value.toFixed(2))} ${units[unit]}`;
}
