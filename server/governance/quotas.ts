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
 * check uses the last count (at most USAGE_TTL_MS old) plus what this process let in since, and
 * counts again before it refuses: a check costs two index lookups.
 * Checks are per blob: two pushes racing for the last bytes of room may both pass.
 */
import { and, eq } from 'drizzle-orm';
import type Database from 'better-sqlite3';
import { z } from 'zod';
import {
  OciError,
  type BlobGuard,
  type ManifestGuard,
  type Registry,
} from '../../registry/index.js';
import type { Db } from '../db/open-database.js';
import { namespaces } from '../db/schema.js';
import { namespaceQuotas } from '../db/store-schema.js';
import { StoreError } from '../errors.js';
import type { StoreEvents } from '../webhooks/store-events.js';

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

/** `<namespace>/` up to (not including) `<namespace>0`: every repository of it, by index range. */
function rangeOf(namespace: string): { lo: string; hi: string } {
  return { lo: `${namespace}/`, hi: `${namespace}0` };
}

/** How long a counted usage serves checks before it is counted again. */
const USAGE_TTL_MS = 10_000;

const namespaceOf = (repository: string): string => repository.split('/')[0] ?? '';

export class Quotas {
  private readonly usedQuery: Database.Statement;
  private readonly holdsBlob: Database.Statement;
  private readonly holdsManifest: Database.Statement;
  /**
   * Usage last counted per namespace with a quota, plus what this process let in since: the fast
   * path of a check. Removals (deletes, GC) make it count high, never low, and a check it would
   * refuse counts again first, so nothing is refused on a stale figure; pushes through other
   * processes are seen when it is counted again (USAGE_TTL_MS).
   */
  private readonly counted = new Map<string, { used: number; at: number }>();

  constructor(
    private readonly deps: {
      db: Db;
      sqlite: Database.Database;
      events?: StoreEvents | undefined;
      clock: () => number;
    },
  ) {
    this.usedQuery = deps.sqlite.prepare(
      `select (select coalesce(sum(size), 0) from blobs where digest in
                (select digest from repository_blobs where repository >= @lo and repository < @hi))
            + (select coalesce(sum(size), 0) from
                (select distinct digest, size from manifests where repository >= @lo and repository < @hi))
         as used`,
    );
    this.holdsBlob = deps.sqlite.prepare(
      'select 1 from repository_blobs where digest = @digest and repository >= @lo and repository < @hi limit 1',
    );
    this.holdsManifest = deps.sqlite.prepare(
      'select 1 from manifests where digest = @digest and repository >= @lo and repository < @hi limit 1',
    );
  }

  /** Bytes the namespace's repositories hold, each blob and manifest once (counted now). */
  usedBytes(namespace: string): number {
    const used = (this.usedQuery.get(rangeOf(namespace)) as { used: number }).used;
    this.counted.set(namespace, { used, at: this.deps.clock() });
    return used;
  }

  /** The usage as last counted, when recent enough, with what came in since; else counted now. */
  private recentUsedBytes(namespace: string): number {
    const last = this.counted.get(namespace);
    if (last && this.deps.clock() - last.at < USAGE_TTL_MS) return last.used;
    return this.usedBytes(namespace);
  }

  private letIn(namespace: string, size: number): void {
    const last = this.counted.get(namespace);
    if (last) last.used += size;
  }

  /** The namespace's quota; zeros when it has none. */
  settingsOf(namespace: string): QuotaSettings & { warned: boolean } {
    const row = this.deps.db
      .select({
        limitBytes: namespaceQuotas.limitBytes,
        warnBytes: namespaceQuotas.warnBytes,
        warned: namespaceQuotas.warned,
      })
      .from(namespaceQuotas)
      .innerJoin(namespaces, eq(namespaces.id, namespaceQuotas.namespaceId))
      .where(eq(namespaces.name, namespace))
      .get();
    return row ?? { limitBytes: 0, warnBytes: 0, warned: false };
  }

  usage(namespace: string): NamespaceUsage {
    const { limitBytes, warnBytes } = this.settingsOf(namespace);
    return { usedBytes: this.usedBytes(namespace), limitBytes, warnBytes };
  }

  /** Sets (or with zeros, clears) a quota; a namespace already past the new warning level is told. */
  set(namespace: string, settings: QuotaSettings): NamespaceUsage {
    const ns = this.deps.db
      .select({ id: namespaces.id })
      .from(namespaces)
      .where(eq(namespaces.name, namespace))
      .get();
    if (!ns) throw new StoreError('not_found', `no namespace "${namespace}"`);
    if (settings.limitBytes === 0 && settings.warnBytes === 0) {
      this.deps.db.delete(namespaceQuotas).where(eq(namespaceQuotas.namespaceId, ns.id)).run();
    } else {
      const values = { ...settings, warned: false, updatedAt: this.deps.clock() };
      this.deps.db
        .insert(namespaceQuotas)
        .values({ namespaceId: ns.id, ...values })
        .onConflictDoUpdate({ target: namespaceQuotas.namespaceId, set: values })
        .run();
      this.noteUsage(namespace);
    }
    return this.usage(namespace);
  }

  /** Every namespace with what it holds and its quota (zeros: none), largest first (admin storage page). */
  everyUsage(): ({ namespace: string } & NamespaceUsage)[] {
    return this.deps.db
      .select({
        namespace: namespaces.name,
        limitBytes: namespaceQuotas.limitBytes,
        warnBytes: namespaceQuotas.warnBytes,
      })
      .from(namespaces)
      .leftJoin(namespaceQuotas, eq(namespaces.id, namespaceQuotas.namespaceId))
      .all()
      .map((q) => ({
        namespace: q.namespace,
        limitBytes: q.limitBytes ?? 0,
        warnBytes: q.warnBytes ?? 0,
        usedBytes: this.usedBytes(q.namespace),
      }))
      .sort((a, b) => b.usedBytes - a.usedBytes || a.namespace.localeCompare(b.namespace));
  }

  /** Every namespace with a quota, with its usage (for /metrics: a bounded label set). */
  withQuotas(): ({ namespace: string } & NamespaceUsage)[] {
    return this.deps.db
      .select({
        namespace: namespaces.name,
        limitBytes: namespaceQuotas.limitBytes,
        warnBytes: namespaceQuotas.warnBytes,
      })
      .from(namespaceQuotas)
      .innerJoin(namespaces, eq(namespaces.id, namespaceQuotas.namespaceId))
      .all()
      .map((q) => ({ ...q, usedBytes: this.usedBytes(q.namespace) }));
  }

  /** Puts the quota in front of blob links and of the store's other manifest checks (`next`). */
  attach(registry: Registry, next: ManifestGuard): ManifestGuard {
    registry.setBlobGuard(this.blobGuard);
    registry.on((event) => {
      if (event.type === 'manifest.pushed')
        this.noteUsage(namespaceOf(event.repository), { recent: true });
      else if (event.type === 'manifest.deleted') this.noteUsage(namespaceOf(event.repository));
    });
    return async (push) => {
      const { content, manifest } = push;
      const admitted = this.admit(
        push.repository,
        manifest.digest,
        content.length,
        this.holdsManifest,
      );
      await next(push);
      // Counted before it is stored: should storing fail, the figure is high (see `counted`).
      if (admitted?.adds) this.letIn(admitted.namespace, content.length);
    };
  }

  private readonly blobGuard: BlobGuard = ({ repository, digest, size }) => {
    const admitted = this.admit(repository, digest, size, this.holdsBlob);
    if (!admitted || digest === undefined) return undefined;
    return () => {
      if (admitted.adds) this.letIn(admitted.namespace, size);
      this.noteUsage(admitted.namespace, { recent: true });
    };
  };

  /**
   * Throws DENIED when `size` new bytes would take the repository's namespace past its limit;
   * content the namespace holds already (by digest) adds nothing. Returns the namespace when it
   * has a quota (its warning level is then to be looked at once the bytes are in), and whether
   * the bytes add to its usage.
   */
  private admit(
    repository: string,
    digest: string | undefined,
    size: number,
    holds: Database.Statement,
  ): { namespace: string; adds: boolean } | undefined {
    const namespace = namespaceOf(repository);
    const { limitBytes, warnBytes } = this.settingsOf(namespace);
    if (limitBytes === 0 && warnBytes === 0) return undefined;
    const range = rangeOf(namespace);
    if (digest !== undefined && holds.get({ ...range, digest })) return { namespace, adds: false };
    if (limitBytes === 0) return { namespace, adds: true };
    let usedBytes = this.recentUsedBytes(namespace);
    if (usedBytes + size > limitBytes) usedBytes = this.usedBytes(namespace); // never refuse on a stale figure
    if (usedBytes + size > limitBytes)
      throw new OciError(
        'DENIED',
        `storage quota of ${namespace} exceeded: ${formatBytes(usedBytes)} used of ` +
          `${formatBytes(limitBytes)}, this push needs ${formatBytes(size)} more`,
        { namespace, usedBytes, limitBytes, sizeBytes: size },
      );
    return { namespace, adds: true };
  }

  /**
   * Emits `quota_warning` when the namespace's usage has passed its warning level since it was
   * last told (once per crossing), and forgets the crossing when usage falls back below.
   */
  noteUsage(namespace: string, options: { recent?: boolean } = {}): void {
    const { limitBytes, warnBytes, warned } = this.settingsOf(namespace);
    if (warnBytes === 0) return;
    let usedBytes = options.recent ? this.recentUsedBytes(namespace) : this.usedBytes(namespace);
    if (options.recent && usedBytes >= warnBytes !== warned) usedBytes = this.usedBytes(namespace);
    const above = usedBytes >= warnBytes;
    if (above === warned) return;
    const ns = this.deps.db
      .select({ id: namespaces.id })
      .from(namespaces)
      .where(eq(namespaces.name, namespace))
      .get();
    if (!ns) return;
    // Only the process that flips the flag tells of the crossing.
    const flipped = this.deps.db
      .update(namespaceQuotas)
      .set({ warned: above })
      .where(and(eq(namespaceQuotas.namespaceId, ns.id), eq(namespaceQuotas.warned, !above)))
      .run();
    if (above && flipped.changes > 0)
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
