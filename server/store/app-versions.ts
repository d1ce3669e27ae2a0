/**
 * An app's versions through the store API: list (store order), read (with components and the
 * template), delete (the tag in the registry, then the row), and the template for install with
 * every component image pointed at the store's copy by digest (ARCHITECTURE.md §3). A delete takes
 * the registry's removal path, so immutability rules, webhooks and the audit log see it.
 */
import type { Permissions } from '../auth/permissions.js';
import { principalName, type Principal } from '../auth/principal.js';
import type { AuditLog } from '../accounts/audit-log.js';
import { OciError, type Registry } from '../../registry/index.js';
import { StoreError } from '../errors.js';
import type { VersionRemoval } from '../../schemas/version-removal.js';
import { parseStrings, type AppAccess, type Caller, type VersionRow } from './app-access.js';
import type { AppRepositories, AppRow } from './app-repository.js';
import type { AppStats } from './stats.js';
import type { StoreEvents } from '../webhooks/store-events.js';
import { repositoryOf, type AppRef, type VersionIndex } from './version-index.js';

export function versionView(v: VersionRow) {
  return {
    version: v.version,
    alias: v.alias,
    description: v.description,
    state: v.state,
    manifestDigest: v.manifestDigest,
    templateDigest: v.templateDigest,
    rainbondVersion: v.rainbondVersion,
    arch: v.arch,
    isPlugin: v.isPlugin,
    updateVersion: v.updateVersion,
    /** A mirrored version its upstream deleted (kept here, see mirror.upstreams[].prune). */
    deletedUpstream: v.upstreamDeletedAt !== null,
    createdAt: new Date(v.createdAt).toISOString(),
    updatedAt: new Date(v.updatedAt).toISOString(),
  };
}

export type VersionView = ReturnType<typeof versionView>;

export class AppVersions {
  constructor(
    private readonly deps: {
      repos: AppRepositories;
      registry: Pick<Registry, 'meta' | 'removeTag'>;
      versions: VersionIndex;
      access: AppAccess;
      permissions: Permissions;
      stats: AppStats;
      audit: AuditLog;
      /** Store events (webhooks): `install`. */
      events?: StoreEvents | undefined;
    },
  ) {}

  /** Members see drafts too; everyone else the versions that can be installed. */
  async list(p: Principal, ref: AppRef): Promise<VersionView[]> {
    const app = await this.deps.access.visible(p, ref);
    return (
      await this.deps.access.versionsOf(app.id, await this.deps.access.member(p, app.namespace))
    ).map(versionView);
  }

  async get(p: Principal, ref: AppRef, version: string) {
    const { row } = await this.find(p, ref, version);
    const parts = await this.deps.repos.versions.componentsOf(row.id);
    return {
      ...versionView(row),
      components: parts,
      template: JSON.parse(row.template) as unknown,
    };
  }

  /**
   * Deletes the version's tag in the registry and its row (with the store's component tags).
   * Packages stop covering it; a package left with no version is deleted.
   */
  /**
   * What deleting `version` would change besides it, for whoever may delete it: the packages
   * that lose it and whether the app leaves the shelf. Nothing changes.
   */
  async removal(caller: Caller, ref: AppRef, version: string): Promise<VersionRemoval> {
    const app = await this.deps.access.manageable(caller.principal, ref);
    await this.versionRow(app, ref, version);
    return this.consequences(app, ref, version, true);
  }

  /** Deletes `version` (tag, row, its place in packages) and answers what else changed. */
  async remove(caller: Caller, ref: AppRef, version: string): Promise<VersionRemoval> {
    const app = await this.deps.access.manageable(caller.principal, ref);
    const row = await this.versionRow(app, ref, version);
    const changes = await this.consequences(app, ref, version, false);
    const actor = principalName(caller.principal);
    // The registry's removal path, as a DELETE on /v2: immutability rules decide here too. First,
    // so that a refusal changes nothing; a row left by a failure after it is what reindex mends.
    try {
      await this.deps.registry.removeTag({
        repository: repositoryOf(ref),
        tag: version,
        actor,
        force: false,
        address: caller.address,
      });
    } catch (err) {
      if (err instanceof OciError && err.code === 'DENIED')
        throw new StoreError('forbidden', err.message, err.detail);
      // A version row whose tag is gone already: the row still goes.
      if (!(err instanceof OciError && err.code === 'MANIFEST_UNKNOWN')) throw err;
    }
    // The tag's removal event removed the row already when it found the tag; a tag gone before
    // leaves it to this call.
    await this.deps.versions.remove(ref, version, undefined, actor);
    await this.deps.repos.packages.dropVersion(app.id, version);
    await this.deps.audit.record({
      actor,
      action: 'version.deleted',
      target: `${repositoryOf(ref)}:${version}`,
      address: caller.address,
      detail: { digest: row.manifestDigest },
    });
    return changes;
  }

  private async versionRow(app: AppRow, ref: AppRef, version: string): Promise<VersionRow> {
    const row = await this.deps.repos.versions.get(app.id, version);
    if (!row) throw new StoreError('not_found', `no version ${version} of ${repositoryOf(ref)}`);
    return row;
  }

  /** The packages covering `version` as they will be without it, and the shelf after that. */
  private async consequences(
    app: AppRow,
    ref: AppRef,
    version: string,
    dryRun: boolean,
  ): Promise<VersionRemoval> {
    const all = await this.deps.repos.packages.list(app.id);
    const packages = all.flatMap((pkg) => {
      const covered = parseStrings(pkg.versions);
      if (!covered.includes(version)) return [];
      const versionsLeft = covered.filter((v) => v !== version);
      return [{ name: pkg.name, versionsLeft, deleted: versionsLeft.length === 0 }];
    });
    const packagesLeft = all.length - packages.filter((p) => p.deleted).length;
    return {
      dryRun,
      app: repositoryOf(ref),
      version,
      packages,
      leavesShelf: (await this.deps.access.onShelf(app)) && packagesLeft === 0,
    };
  }

  /**
   * The template to install `version` from: each component's image is the store's copy by digest
   * (`<host>/<namespace>/<app>@<digest>`) and group_version is the version. Counts one install.
   */
  async install(p: Principal, ref: AppRef, version: string, host: string): Promise<unknown> {
    const { app, row } = await this.find(p, ref, version);
    // ARCHITECTURE §5: installing needs the install right, or a free app on the shelf.
    const freeOnShelf =
      (await this.deps.access.onShelf(app)) &&
      (await this.deps.permissions.seeApp(p, app.namespace, true));
    if (!freeOnShelf && !(await this.deps.permissions.installApp(p, app.namespace, app.name))) {
      if (p.kind === 'anonymous')
        throw new StoreError('unauthorized', 'sign in or send an access key to install this app');
      throw new StoreError('forbidden', `you may not install ${repositoryOf(ref)}`);
    }
    if (row.state !== 'ready')
      throw new StoreError(
        'conflict',
        `version ${version} is ${row.state}: it cannot be installed yet`,
        { state: row.state },
      );
    const images = new Map(
      (await this.deps.repos.versions.componentsOf(row.id)).map((c) => [
        c.serviceKey,
        c.imageDigest,
      ]),
    );
    const template = JSON.parse(row.template) as Record<string, unknown>;
    template.group_version = row.version;
    const parts = Array.isArray(template.apps) ? (template.apps as Record<string, unknown>[]) : [];
    for (const part of parts) {
      const digest = images.get(String(part.service_key));
      if (!digest)
        throw new StoreError(
          'conflict',
          `component ${String(part.service_key)} has no image in the store`,
        );
      const image = `${host}/${repositoryOf(ref)}@${digest}`;
      part.share_image = image;
      if (typeof part.image === 'string') part.image = image;
    }
    this.deps.stats.install(app.id, row.version);
    this.deps.events?.emit({
      type: 'install',
      namespace: app.namespace,
      app: app.name,
      ...(p.kind === 'user' ? { actor: p.name } : {}),
      data: { repository: repositoryOf(ref), version: row.version, via: 'api' },
    });
    return template;
  }

  private async find(p: Principal, ref: AppRef, version: string) {
    const app = await this.deps.access.visible(p, ref);
    const row = await this.deps.repos.versions.get(app.id, version);
    if (!row || (row.state === 'draft' && !(await this.deps.access.member(p, app.namespace)))) {
      throw new StoreError('not_found', `no version ${version} of ${repositoryOf(ref)}`);
    }
    return { app, row };
  }
}
