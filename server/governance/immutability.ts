/**
 * Immutable versions and tags (issue 17 §2): the one place that decides whether a tag may be moved,
 * overwritten or deleted, for every way a manifest is written or removed (a PUT or DELETE on /v2,
 * a Rainstore publish, image sync, the mirror: all go through the registry's guards).
 *
 * Opt-in per namespace, since Rainbond's own flow re-shares a version to update it. With
 * `versions`, the tag of a published app version (state ready) is fixed; with `tagPatterns`, every
 * tag matching one of the globs is, in any repository of the namespace. Pushing the same manifest
 * again is no change and passes (clients retry). An owner gets past the rule only explicitly
 * (`?force=true`), and that is audited; the version's update time then moves as on any re-push,
 * which is what Rainbond reads to offer an upgrade.
 */
import { OciError, type ManifestGuard, type Registry } from '../../registry/index.js';
import type { AuditLog } from '../accounts/audit-log.js';
import type { AccessDirectory } from '../auth/access-directory.js';
import type { Permissions } from '../auth/permissions.js';
import { StoreError } from '../errors.js';
import { appRefOf } from '../store/version-index.js';
import type { ImmutabilityRules } from '../../schemas/governance.js';
import { globMatcher } from './globs.js';
import type { ImmutabilityRepository } from './immutability-repository.js';

const NO_RULES: ImmutabilityRules = { versions: false, tagPatterns: [] };

/** What is about to happen to a tag, as the registry's guards see it. */
export interface TagChange {
  repository: string;
  tag: string;
  /** The manifest the tag is to point at; undefined when the tag is deleted. */
  digest: string | undefined;
  actor: string;
  force: boolean;
  address?: string | undefined;
  /** The store mirror following this upstream makes the change (manifest-guard.ts). */
  mirror?: string | undefined;
}

export class Immutability {
  constructor(
    private readonly deps: {
      repository: ImmutabilityRepository;
      /** The actor of a tag change, read synchronously: the registry's guards are synchronous. */
      directory: Pick<AccessDirectory, 'userNamed'>;
      permissions: Permissions;
      audit: AuditLog;
      clock: () => number;
    },
  ) {}

  async rulesOf(namespace: string): Promise<ImmutabilityRules> {
    const row = await this.deps.repository.rulesOf(namespace);
    if (!row) return NO_RULES;
    return { versions: row.versions, tagPatterns: JSON.parse(row.tagPatterns) as string[] };
  }

  async setRules(namespace: string, rules: ImmutabilityRules): Promise<void> {
    const row = { versions: rules.versions, tagPatterns: JSON.stringify(rules.tagPatterns) };
    if (!(await this.deps.repository.setRules(namespace, row, this.deps.clock())))
      throw new StoreError('not_found', `no namespace "${namespace}"`);
  }

  /**
   * Puts the rules in front of the store's other manifest checks (`next`) and of tag removals, so
   * every writer of the registry meets them.
   */
  attach(registry: Registry, next: ManifestGuard): void {
    registry.setGuard(async (push) => {
      const { repository, tag, manifest, actor, force, address, mirror } = push;
      const forced =
        tag === null
          ? undefined
          : await this.check(
              { repository, tag, digest: manifest.digest, actor, force, address, mirror },
              await registry.meta.tagDigest(repository, tag),
            );
      await next(push);
      await forced?.(); // audited once the push has passed every check
    });
    registry.setRemovalGuard(async ({ repository, tags, actor, force, address }) => {
      const forced = [];
      for (const { tag, digest: current } of tags)
        forced.push(
          await this.check({ repository, tag, digest: undefined, actor, force, address }, current),
        );
      for (const audit of forced) await audit?.();
    });
  }

  /**
   * Throws OciError DENIED when `change` would move, overwrite or delete a tag a rule fixes and
   * is not an owner's explicit republish; `current` is the digest the tag points at now. For a
   * forced change, returns what audits it (to call once it is sure to happen).
   */
  async check(
    change: TagChange,
    current: string | undefined,
  ): Promise<(() => Promise<void>) | undefined> {
    if (current === undefined || current === change.digest) return; // new tag, or no change
    const namespace = change.repository.split('/')[0]!;
    const rules = await this.rulesOf(namespace);
    const rule = await this.ruleHit(rules, change.repository, change.tag);
    if (!rule) return;
    const what = change.digest === undefined ? 'deleted' : 'moved or overwritten';
    // A mirrored app is its upstream's (read-only here): what its owners republished there,
    // after their own rules, is followed, and audited as a republish by the mirror.
    if (change.mirror !== undefined) return this.republished(change, rule, current);
    if (!change.force)
      throw new OciError(
        'DENIED',
        `${change.repository}:${change.tag} is immutable (${rule}) and cannot be ${what}; ` +
          'an owner of the namespace may republish it explicitly with ?force=true',
        { rule },
      );
    // `check` is already a promise on the push path: the directory may answer one too.
    const user = await this.deps.directory.userNamed(change.actor);
    const owner =
      user &&
      (await this.deps.permissions.namespace(
        { kind: 'user', userId: user.id, name: user.name, role: user.role },
        namespace,
        'govern',
      ));
    if (!owner)
      throw new OciError(
        'DENIED',
        `${change.repository}:${change.tag} is immutable (${rule}); only an owner of ${namespace} may force it`,
        { rule },
      );
    return this.republished(change, rule, current);
  }

  /** What audits a change past a rule, once it is sure to happen. */
  private republished(change: TagChange, rule: string, current: string): () => Promise<void> {
    return async () =>
      await this.deps.audit.record({
        actor: change.actor,
        action: change.digest === undefined ? 'tag.force_deleted' : 'tag.republished',
        target: `${change.repository}:${change.tag}`,
        address: change.address ?? '',
        detail: {
          rule,
          from: current,
          ...(change.digest ? { to: change.digest } : {}),
          ...(change.mirror !== undefined ? { mirror: change.mirror } : {}),
        },
      });
  }

  /** The rule that fixes `repository:tag`, in words, or undefined. */
  private async ruleHit(
    rules: ImmutabilityRules,
    repository: string,
    tag: string,
  ): Promise<string | undefined> {
    if (rules.versions && (await this.isPublishedVersion(repository, tag)))
      return 'published versions are immutable';
    const pattern = rules.tagPatterns.find((p) => globMatcher(p)(tag));
    return pattern === undefined ? undefined : `tag pattern "${pattern}"`;
  }

  private async isPublishedVersion(repository: string, tag: string): Promise<boolean> {
    const ref = appRefOf(repository);
    if (!ref) return false;
    const state = await this.deps.repository.versionState(ref.namespace, ref.name, tag);
    // A draft (template pushed, images not yet synced) is not published: its sync re-tags it.
    return state === 'ready';
  }
}
