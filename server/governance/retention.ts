/**
 * Retention (issue 17 §3): rules per namespace or app that say which app versions and untagged
 * manifests go, a plan that says for every version why it goes or stays, and a run that removes
 * what the plan says through the registry's own removal path (so immutability, the store's rows,
 * the `delete` webhook and the audit log all see it) and then lets GC free the bytes.
 *
 * A version stays when any of these holds: among the `keepNewest` newest (store order: semver,
 * else push time), pushed, pulled or installed in the last `keepPulledDays` days, the version a
 * listed app shows (its latest), inside a package, still syncing, or fixed by an immutability rule
 * (unless the run is an owner's explicit `force`). With neither version rule set, none goes.
 */
import { OciError, type Registry } from '../../registry/index.js';
import type { AuditLog } from '../accounts/audit-log.js';
import { compareVersions } from '../search/latest-version.js';
import { parseStrings } from '../store/app-access.js';
import { repositoryOf, type AppRef } from '../store/version-index.js';
import type {
  KeptVersion,
  RemovedManifest,
  RemovedVersion,
  RetentionReport,
  RetentionRules,
} from '../../schemas/governance.js';
import type { Immutability } from './immutability.js';
import type { RetainedVersion, RetentionRepository } from './retention-repository.js';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

export const NO_RETENTION: RetentionRules = {
  keepNewest: null,
  keepPulledDays: null,
  untaggedHours: null,
};

export interface RetentionScope {
  namespace: string;
  /** One app only; the whole namespace when undefined. */
  app?: string | undefined;
}

export interface RunOptions {
  dryRun: boolean;
  /** Remove versions an immutability rule fixes too (an owner's explicit way past it). */
  force: boolean;
  actor: string;
  address?: string | undefined;
}

export class Retention {
  constructor(
    private readonly deps: {
      repository: RetentionRepository;
      registry: Pick<Registry, 'meta' | 'gc' | 'removeTag' | 'removeManifest'>;
      immutability: Immutability;
      audit: AuditLog;
      clock: () => number;
      /** Writes the buffered pull counts (and so the versions' last use) before a plan reads them. */
      flushUsage?: () => Promise<void>;
    },
  ) {}

  /** The rules set on the scope itself (an app's own, not the namespace's it falls back to). */
  async rulesOf(scope: RetentionScope): Promise<RetentionRules> {
    return (await this.deps.repository.rulesOf(scope.namespace, scope.app ?? '')) ?? NO_RETENTION;
  }

  async setRules(scope: RetentionScope, rules: RetentionRules): Promise<void> {
    await this.deps.repository.setRules(scope.namespace, scope.app ?? '', rules, this.deps.clock());
  }

  /** Does app `ref` exist? (For the app routes of its rules.) */
  appExists(ref: AppRef): Promise<boolean> {
    return this.deps.repository.appExists(ref.namespace, ref.name);
  }

  /** Namespaces with any rule, for scheduled runs. */
  governedNamespaces(): Promise<string[]> {
    return this.deps.repository.governedNamespaces();
  }

  /**
   * Plans (dry run) or carries out the rules of `scope`. A real run removes exactly what its plan
   * lists, then runs GC and reports what it freed; real runs take turns (on PostgreSQL
   * cluster-wide), and each plans once it has its turn, so it sees what the one before removed.
   */
  async run(scope: RetentionScope, options: RunOptions): Promise<RetentionReport> {
    if (options.dryRun) return this.carryOut(scope, options);
    return this.deps.repository.exclusive(() => this.carryOut(scope, options));
  }

  private async carryOut(scope: RetentionScope, options: RunOptions): Promise<RetentionReport> {
    const plan = await this.plan(scope, options.force ? options.actor : undefined);
    const report: RetentionReport = {
      namespace: scope.namespace,
      app: scope.app ?? null,
      dryRun: options.dryRun,
      ...plan,
      gc: null,
    };
    if (options.dryRun) return report;
    const { registry, audit } = this.deps;
    const removing = { actor: options.actor, address: options.address };
    for (const v of plan.removed) {
      // The registry's removal path: the immutability guard (forced only when asked), the
      // version's rows and the `delete` webhook (indexer), `registry.untag` in the audit log.
      await registry.removeTag({
        ...removing,
        repository: v.repository,
        tag: v.version,
        force: options.force,
      });
      await audit.record({
        actor: options.actor,
        action: 'retention.removed',
        target: `${v.repository}:${v.version}`,
        address: options.address ?? '',
        detail: { digest: v.digest, reason: v.reason, ...(v.forced ? { forced: v.forced } : {}) },
      });
    }
    for (const m of plan.untagged) {
      try {
        await registry.removeManifest({
          ...removing,
          repository: m.repository,
          digest: m.digest as never,
          force: false,
        });
      } catch (err) {
        if (err instanceof OciError && err.code === 'MANIFEST_UNKNOWN') continue; // gone meanwhile
        throw err;
      }
      await audit.record({
        actor: options.actor,
        action: 'retention.removed',
        target: `${m.repository}@${m.digest}`,
        address: options.address ?? '',
        detail: { reason: m.reason },
      });
    }
    const gc = await registry.gc.run();
    report.gc = {
      manifestsDeleted: gc.manifestsDeleted,
      blobsDeleted: gc.blobsDeleted,
      bytesFreed: gc.bytesFreed,
    };
    return report;
  }

  /** `forcedBy`: the actor of a forced run, who must be allowed past immutability rules. */
  private async plan(
    scope: RetentionScope,
    forcedBy: string | undefined,
  ): Promise<Omit<RetentionReport, 'namespace' | 'app' | 'dryRun' | 'gc'>> {
    const { repository: rows } = this.deps;
    await this.deps.flushUsage?.();
    const now = this.deps.clock();
    const namespaceRules = await this.rulesOf({ namespace: scope.namespace });
    const appRows = await rows.appsOf(scope.namespace, scope.app);
    const rulesByRepository = new Map<string, RetentionRules>();
    /** Repositories whose untagged manifests may be a running image sync's copies. */
    const syncing = new Set<string>();
    const removed: RemovedVersion[] = [];
    const kept: KeptVersion[] = [];
    for (const app of appRows) {
      const ref: AppRef = { namespace: app.namespace, name: app.name };
      const repository = repositoryOf(ref);
      const own = await this.rulesOf({ namespace: app.namespace, app: app.name });
      const rules = own === NO_RETENTION ? namespaceRules : own;
      rulesByRepository.set(repository, rules);
      const versionRows = await rows.versionsOf(app.id);
      const ordered = versionRows
        .map((r) => ({ row: r, version: r.version, created: r.createdAt }))
        .sort(compareVersions);
      const inPackages = new Map<string, string[]>();
      for (const pkg of await rows.packagesOf(app.id))
        for (const v of parseStrings(pkg.versions))
          inPackages.set(v, [...(inPackages.get(v) ?? []), pkg.name]);
      // The version the shelf shows: the latest that can be installed.
      const shown = app.listed ? ordered.find(({ row }) => row.state === 'ready') : undefined;
      if (versionRows.some((r) => r.state === 'syncing')) syncing.add(repository);
      const judged = rules.keepNewest !== null || rules.keepPulledDays !== null;
      for (const [index, { row }] of ordered.entries()) {
        const reasons: string[] = [];
        if (!judged) reasons.push('no version rule');
        if (rules.keepNewest !== null && index < rules.keepNewest)
          reasons.push(`among the ${rules.keepNewest} newest`);
        const lastUsed = Math.max(row.lastUsedAt ?? 0, row.updatedAt);
        if (rules.keepPulledDays !== null && lastUsed >= now - rules.keepPulledDays * DAY_MS)
          reasons.push(`pushed, pulled or installed in the last ${rules.keepPulledDays} days`);
        if (shown?.row.id === row.id) reasons.push('listed');
        for (const name of inPackages.get(row.version) ?? []) reasons.push(`in package ${name}`);
        if (row.state === 'syncing') reasons.push('syncing');
        let forced: string | undefined;
        if (reasons.length === 0) {
          const fixedBy = await this.immutableRule(repository, row.version, row.manifestDigest);
          const refused = fixedBy ? await this.forceRefused(repository, row, forcedBy) : undefined;
          if (fixedBy && refused !== undefined) reasons.push(`immutable (${fixedBy})${refused}`);
          else forced = fixedBy;
        }
        if (reasons.length > 0) {
          kept.push({ repository, version: row.version, kept: reasons });
          continue;
        }
        const why = [
          ...(rules.keepNewest !== null ? [`not among the ${rules.keepNewest} newest`] : []),
          ...(rules.keepPulledDays !== null
            ? [`not pushed, pulled or installed in the last ${rules.keepPulledDays} days`]
            : []),
        ].join(', ');
        removed.push({
          repository,
          version: row.version,
          digest: row.manifestDigest,
          reason: why,
          ...(forced ? { forced } : {}),
        });
      }
    }
    return {
      removed,
      kept,
      untagged: (await this.untaggedToRemove(scope, namespaceRules, rulesByRepository, now)).filter(
        (m) => !syncing.has(m.repository),
      ),
    };
  }

  /** Untagged manifests older than the `untaggedHours` of their repository's rules. */
  private async untaggedToRemove(
    scope: RetentionScope,
    namespaceRules: RetentionRules,
    rulesByRepository: Map<string, RetentionRules>,
    now: number,
  ): Promise<RemovedManifest[]> {
    const hoursOf = (repository: string): number | null =>
      (rulesByRepository.get(repository) ?? namespaceRules).untaggedHours;
    const candidates =
      scope.app === undefined
        ? [`${scope.namespace}/`]
        : [repositoryOf({ namespace: scope.namespace, name: scope.app })];
    const hours = [namespaceRules, ...rulesByRepository.values()]
      .map((r) => r.untaggedHours)
      .filter((h): h is number => h !== null);
    if (hours.length === 0) return [];
    const youngest = Math.min(...hours);
    const untagged = await this.deps.registry.gc.untaggedManifests(
      candidates[0]!,
      now - youngest * HOUR_MS,
    );
    return untagged
      .filter((m) => scope.app === undefined || m.repository === candidates[0])
      .flatMap((m) => {
        const h = hoursOf(m.repository);
        if (h === null || m.createdAt > now - h * HOUR_MS) return [];
        return [
          {
            repository: m.repository,
            digest: m.digest,
            reason: `untagged for more than ${h} hours`,
          },
        ];
      });
  }

  /**
   * Why a forced removal of a fixed version would be refused ('' when not forced at all), or
   * undefined when `forcedBy` may force it: checked in the plan, so a real run never stops
   * half-way at the guard.
   */
  private async forceRefused(
    repository: string,
    row: Pick<RetainedVersion, 'version' | 'manifestDigest'>,
    forcedBy: string | undefined,
  ): Promise<string | undefined> {
    if (forcedBy === undefined) return '';
    try {
      // Returns the audit of the forced removal without recording it: the guard records it.
      await this.deps.immutability.check(
        { repository, tag: row.version, digest: undefined, actor: forcedBy, force: true },
        row.manifestDigest,
      );
      return undefined;
    } catch (err) {
      if (err instanceof OciError && err.code === 'DENIED')
        return `; force refused: ${err.message}`;
      throw err;
    }
  }

  /** The immutability rule that fixes this version's tag, in words, or undefined. */
  private async immutableRule(
    repository: string,
    version: string,
    digest: string,
  ): Promise<string | undefined> {
    try {
      await this.deps.immutability.check(
        { repository, tag: version, digest: undefined, actor: '', force: false },
        digest,
      );
      return undefined;
    } catch (err) {
      if (err instanceof OciError && err.code === 'DENIED')
        return String((err.detail as { rule?: string } | undefined)?.rule ?? err.message);
      throw err;
    }
  }
}

/** Runs the rules of every namespace that has some, every `intervalSeconds` (0: never). */
export class RetentionSchedule {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly deps: {
      retention: Retention;
      intervalSeconds: number;
      log: { info(obj: object, msg: string): void; error(obj: object, msg: string): void };
    },
  ) {}

  start(): void {
    if (this.deps.intervalSeconds <= 0) return;
    this.timer = setInterval(() => {
      this.running ??= this.runAll().finally(() => (this.running = undefined));
    }, this.deps.intervalSeconds * 1000);
    this.timer.unref();
  }

  async runAll(): Promise<void> {
    for (const namespace of await this.deps.retention.governedNamespaces()) {
      try {
        const r = await this.deps.retention.run(
          { namespace },
          { dryRun: false, force: false, actor: 'retention' },
        );
        this.deps.log.info(
          {
            namespace,
            removed: r.removed.length,
            untagged: r.untagged.length,
            bytesFreed: r.gc?.bytesFreed ?? 0,
          },
          'retention run',
        );
      } catch (err) {
        this.deps.log.error({ err, namespace }, 'retention run failed');
      }
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
