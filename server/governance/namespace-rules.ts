/**
 * A namespace's (or an app's) immutability and retention rules as their owners change and run
 * them: the one place that checks the `govern` right, calls Immutability or Retention and writes
 * the audit entry, for the store API (routes/governance.ts) and the web (pages/rules.ts) alike.
 * What the rules mean and do stays in immutability.ts and retention.ts.
 */
import type { AuditLog } from '../accounts/audit-log.js';
import type { Namespaces } from '../accounts/namespaces.js';
import type { Permissions } from '../auth/permissions.js';
import type { Principal } from '../auth/principal.js';
import { StoreError } from '../errors.js';
import type { Immutability, ImmutabilityRules } from './immutability.js';
import type { Retention, RetentionReport, RetentionRules, RetentionScope } from './retention.js';

type User = Extract<Principal, { kind: 'user' }>;

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
  existing(name: string): string {
    if (!this.deps.namespaces.exists(name))
      throw new StoreError('not_found', `no namespace "${name}"`);
    return name;
  }

  /** May `p` change and run the rules of `namespace` (owners and admins)? */
  mayGovern(p: Principal, namespace: string): boolean {
    return this.deps.permissions.namespace(p, namespace, 'govern');
  }

  /** Anyone may read a namespace's immutability rules: installers may want to know a tag is fixed. */
  immutabilityOf(namespace: string): ImmutabilityRules {
    return this.deps.immutability.rulesOf(this.existing(namespace));
  }

  /** Throws `forbidden` unless `p` may change the immutability rules of `namespace`. */
  authorizeImmutability(p: Principal, namespace: string): void {
    if (!this.mayGovern(p, namespace))
      throw new StoreError('forbidden', `only an owner of ${namespace} may change its rules`);
  }

  setImmutability(caller: RulesCaller, namespace: string, rules: ImmutabilityRules): void {
    this.existing(namespace);
    this.authorizeImmutability(caller.principal, namespace);
    this.deps.immutability.setRules(namespace, rules);
    this.deps.audit.record({
      actor: caller.principal.name,
      action: 'namespace.immutability_set',
      target: namespace,
      address: caller.address,
      detail: rules,
    });
  }

  /** The rules set on the scope itself; members (`read`) see them. */
  retentionOf(p: User, scope: RetentionScope): RetentionRules {
    this.authorize(p, scope, 'read');
    return this.deps.retention.rulesOf(scope);
  }

  setRetention(caller: RulesCaller, scope: RetentionScope, rules: RetentionRules): void {
    this.authorize(caller.principal, scope, 'govern');
    this.deps.retention.setRules(scope, rules);
    this.deps.audit.record({
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
    this.authorize(me, scope, 'govern');
    const report = await this.deps.retention.run(scope, {
      ...options,
      actor: me.name,
      address: caller.address,
    });
    if (!report.dryRun)
      this.deps.audit.record({
        actor: me.name,
        action: 'retention.run',
        target: targetOf(scope),
        address: caller.address,
        detail: {
          removed: report.removed.length,
          untagged: report.untagged.length,
          bytesFreed: report.gc?.bytesFreed ?? 0,
          force: options.force,
        },
      });
    return report;
  }

  /** Reading the retention rules takes `read`; changing or running them `govern`. */
  authorize(p: User, scope: RetentionScope, action: 'read' | 'govern'): void {
    if (!this.deps.permissions.namespace(p, scope.namespace, action))
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
