/**
 * An app's packages: what the shelf offers (type `free`, covering versions that exist and are
 * installable). A listed app with a package is on the shelf (the search triggers follow).
 */
import { PACKAGE_NAME, PACKAGE_NAME_RULE } from '../../schemas/names.js';
import type { AuditLog } from '../accounts/audit-log.js';
import { principalName, type Principal } from '../auth/principal.js';
import { StoreError } from '../errors.js';
import { packageView, type AppAccess, type Caller, type PackageView } from './app-access.js';
import type { AppRepositories } from './app-repository.js';
import { repositoryOf, type AppRef } from './version-index.js';

export interface NewPackage {
  name: string;
  type: 'free';
  versions: string[];
}

export class AppPackages {
  constructor(
    private readonly deps: {
      repos: AppRepositories;
      access: AppAccess;
      audit: AuditLog;
      clock: () => number;
    },
  ) {}

  async list(p: Principal, ref: AppRef): Promise<PackageView[]> {
    return this.deps.access.packagesOf((await this.deps.access.visible(p, ref)).id);
  }

  async create(caller: Caller, ref: AppRef, input: NewPackage): Promise<PackageView> {
    const app = await this.deps.access.manageable(caller.principal, ref);
    // Checked here for every way in (the API's schema checks it too, the web's form does not).
    if (!PACKAGE_NAME.test(input.name))
      throw new StoreError('invalid', `a package name is ${PACKAGE_NAME_RULE}`, { field: 'name' });
    const wanted = [...new Set(input.versions)];
    const result = await this.deps.repos.packages.create(app.id, {
      name: input.name,
      type: input.type,
      versions: wanted,
      createdAt: this.deps.clock(),
    });
    switch (result.kind) {
      case 'missing':
        throw new StoreError(
          'invalid',
          `no version ${result.versions.join(', ')} of ${repositoryOf(ref)}`,
          { field: 'versions', missing: result.versions },
        );
      case 'unready':
        throw new StoreError(
          'invalid',
          `version ${result.versions.join(', ')} is not ready to install`,
          { field: 'versions', unready: result.versions },
        );
      case 'exists':
        throw new StoreError('conflict', `package ${input.name} exists`, { field: 'name' });
      case 'created':
        await this.record(caller, 'package.created', ref, {
          package: input.name,
          versions: wanted,
        });
        return packageView(result.row);
    }
  }

  async remove(caller: Caller, ref: AppRef, name: string): Promise<void> {
    const app = await this.deps.access.manageable(caller.principal, ref);
    if (!(await this.deps.repos.packages.remove(app.id, name)))
      throw new StoreError('not_found', `no package ${name} of ${repositoryOf(ref)}`);
    await this.record(caller, 'package.deleted', ref, { package: name });
  }

  private record(
    caller: Caller,
    action: string,
    ref: AppRef,
    detail: Record<string, unknown>,
  ): void | Promise<void> {
    return this.deps.audit.record({
      actor: principalName(caller.principal),
      action,
      target: repositoryOf(ref),
      address: caller.address,
      detail,
    });
  }
}
