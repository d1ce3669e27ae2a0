/**
 * A namespace's (or an app's) immutability and retention rules as their owners change and run
 * them: the one place that checks the `govern` right, calls Immutability or Retention and writes
 * the audit entry, for the store API (routes/governance.ts) and the web (pages/rules.ts) alike.
 * What the rules mean and do stays in immutability.ts and retention.ts.
 */
import { z } from 'zod';
import type { AuditLog } from '../accounts/audit-log.js';
import type { Namespaces } from '../accounts/namespaces.js';
import type { Permissions } from '../auth/permissions.js';
import type { Principal } from '../auth/principal.js';
import { StoreError } from '../errors.js';
import type {
  ImmutabilityRules,
  RetentionReport,
  RetentionRules,
} from '../../schemas/governance.js';
import type { Immutability } from './immutability.js';
import type { Retention, RetentionScope } from './retention.js';

type User = Extract<Principal, { kind: 'user' }>;

/** How many removals a run's audit entry names. */
const LAST_RUN_ITEMS = 200;

/** The audit detail of a real run (written by runRetention). */
const RunDetail = z.object({
  removed: z.number(),
  untagged: z.number(),
  bytesFreed: z.number(),
  force: z.boolean(),
  items: z.array(z.string()),
});

export type LastRun = z.infer<typeof RunDetail> & { at: string; actor: string };

/** Who asks, and from where (for the audit log). */
export interface RulesCaller {
  principal: User;
  address: string;
}

export class NamespaceRules {
  constructor(
    private readonly deps: {
      immutability: Immutability;
      retention: Retention;
      namespaces: Namespaces;
      permissions: Permissions;
      audit: AuditLog;
    },
  ) {}

  /** `name` when the namespace exists, else the documented 404. */
  async existing(name: string): Promise<string> {
    if (!(await this.deps.namespaces.exists(name)))
      throw new StoreError('not_found', `no namespace "${name}"`);
    return name;
  }

  /** May `p` change and run the rules of `namespace` (owners and admins)? */
  async mayGovern(p: Principal, namespace: string): Promise<boolean> {
    return this.deps.permissions.namespace(p, namespace, 'govern');
  }

  /** Anyone may read a namespace's immutability rules: installers may want to know a tag is fixed. */
  async immutabilityOf(namespace: string): Promise<ImmutabilityRules> {
    return await this.deps.immutability.rulesOf(await this.existing(namespace));
  }

  /** Throws `forbidden` unless `p` may change the immutability rules of `namespace`. */
  async authorizeImmutability(p: Principal, namespace: string): Promise<void> {
    if (!(await this.mayGovern(p, namespace)))
      throw new StoreError('forbidden', `only an owner of ${namespace} may change its rules`);
  }

  async setImmutability(
    caller: RulesCaller,
    namespace: string,
    rules: ImmutabilityRules,
  ): Promise<void> {
    await this.existing(namespace);
    await this.authorizeImmutability(caller.principal, namespace);
    await this.deps.immutability.setRules(namespace, rules);
    await this.deps.audit.record({
      actor: caller.principal.name,
      action: 'namespace.immutability_set',
      target: namespace,
      address: caller.address,
      detail: rules,
    });
  }

  /** The rules set on the scope itself; members (`read`) see them. */
  async retentionOf(p: User, scope: RetentionScope): Promise<RetentionRules> {
    await this.authorize(p, scope, 'read');
    return await this.deps.retention.rulesOf(scope);
  }

  async setRetention(
    caller: RulesCaller,
    scope: RetentionScope,
    rules: RetentionRules,
  ): Promise<void> {
    await this.authorize(caller.principal, scope, 'govern');
    await this.deps.retention.setRules(scope, rules);
    await this.deps.audit.record({
      actor: caller.principal.name,
      action: 'retention.rules_set',
      target: targetOf(scope),
      address: caller.address,
      detail: rules,
    });
  }

  /** A dry run (nothing changes, nothing audited) or a real one, audited with what it freed. */
  async runRetention(
    caller: RulesCaller,
    scope: RetentionScope,
    options: { dryRun: boolean; force: boolean },
  ): Promise<RetentionReport> {
    const me = caller.principal;
    await this.authorize(me, scope, 'govern');
    const report = await this.deps.retention.run(scope, {
      ...options,
      actor: me.name,
      address: caller.address,
    });
    if (!report.dryRun)
      await this.deps.audit.record({
        actor: me.name,
        action: 'retention.run',
        target: targetOf(scope),
        address: caller.address,
        detail: {
          removed: report.removed.length,
          untagged: report.untagged.length,
          bytesFreed: report.gc?.bytesFreed ?? 0,
          force: options.force,
          // What went, so the web can show a run's outcome after its redirect (capped: one row).
          items: [
            ...report.removed.map((r) => `${r.repository}:${r.version}`),
            ...report.untagged.map((m) => `${m.repository}@${m.digest}`),
          ].slice(0, LAST_RUN_ITEMS),
        },
      });
    return report;
  }

  /**
   * The latest run an owner started of the scope's rules (API, web or CLI; scheduled runs are
   * logged, not audited), from the audit log.
   */
  async lastRun(p: User, scope: RetentionScope): Promise<LastRun | undefined> {
    await this.authorize(p, scope, 'govern');
    const [entry] = await this.deps.audit.list({
      action: 'retention.run',
      target: targetOf(scope),
      limit: 1,
    });
    if (!entry) return undefined;
    const detail = RunDetail.safeParse(entry.detail);
    if (!detail.success) return undefined; // an entry written before runs listed their items
    return { at: entry.at, actor: entry.actor, ...detail.data };
  }

  /** Reading the retention rules takes `read`; changing or running them `govern`. */
  async authorize(p: User, scope: RetentionScope, action: 'read' | 'govern'): Promise<void> {
    if (!(await this.deps.permissions.namespace(p, scope.namespace, action)))
      throw new StoreError(
        'forbidden',
        action === 'read'
          ? `you may not see the rules of ${scope.namespace}`
          : `only an owner of ${scope.namespace} may change or run its retention rules`,
      );
  }
}

function targetOf(s: RetentionScope): string {
  return s.app ? `${s.namespace}/${s.app}` : s.namespace;
}
