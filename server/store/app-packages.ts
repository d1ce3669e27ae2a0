/**
 * An app's packages: what the shelf offers (type `free`, covering versions that exist and are
 * installable). A listed app with a package is on the shelf (the search triggers follow).
 */
import { and, eq, inArray } from 'drizzle-orm';
import type { AuditLog } from '../accounts/audit-log.js';
import { principalName, type Principal } from '../auth/principal.js';
import type { Db } from '../db/open-database.js';
import { packages, versions } from '../db/store-schema.js';
import { StoreError } from '../errors.js';
import { packageView, type AppAccess, type Caller, type PackageView } from './app-access.js';
import { repositoryOf, type AppRef } from './version-index.js';

export interface NewPackage {
  name: string;
  type: 'free';
  versions: string[];
}

export class AppPackages {
  constructor(
    private readonly deps: { db: Db; access: AppAccess; audit: AuditLog; clock: () => number },
  ) {}

  list(p: Principal, ref: AppRef): PackageView[] {
    return this.deps.access.packagesOf(this.deps.access.visible(p, ref).id);
  }

  create(caller: Caller, ref: AppRef, input: NewPackage): PackageView {
    const app = this.deps.access.manageable(caller.principal, ref);
    const wanted = [...new Set(input.versions)];
    return this.deps.db.transaction((tx) => {
      const found = new Map(
        tx
          .select({ version: versions.version, state: versions.state })
          .from(versions)
          .where(and(eq(versions.appId, app.id), inArray(versions.version, wanted)))
          .all()
          .map((v) => [v.version, v.state]),
      );
      const missing = wanted.filter((v) => !found.has(v));
      if (missing.length > 0)
        throw new StoreError(
          'invalid',
          `no version ${missing.join(', ')} of ${repositoryOf(ref)}`,
          { field: 'versions', missing },
        );
      const unready = wanted.filter((v) => found.get(v) !== 'ready');
      if (unready.length > 0)
        throw new StoreError('invalid', `version ${unready.join(', ')} is not ready to install`, {
          field: 'versions',
          unready,
        });
      if (
        tx
          .select({ id: packages.id })
          .from(packages)
          .where(and(eq(packages.appId, app.id), eq(packages.name, input.name)))
          .get()
      ) {
        throw new StoreError('conflict', `package ${input.name} exists`, { field: 'name' });
      }
      const row = tx
        .insert(packages)
        .values({
          appId: app.id,
          name: input.name,
          type: input.type,
          versions: JSON.stringify(wanted),
          createdAt: this.deps.clock(),
        })
        .returning()
        .get();
      this.record(caller, 'package.created', ref, { package: input.name, versions: wanted });
      return packageView(row);
    });
  }

  remove(caller: Caller, ref: AppRef, name: string): void {
    const app = this.deps.access.manageable(caller.principal, ref);
    this.deps.db.transaction((tx) => {
      const deleted = tx
        .delete(packages)
        .where(and(eq(packages.appId, app.id), eq(packages.name, name)))
        .run().changes;
      if (deleted === 0)
        throw new StoreError('not_found', `no package ${name} of ${repositoryOf(ref)}`);
      this.record(caller, 'package.deleted', ref, { package: name });
    });
  }

  private record(
    caller: Caller,
    action: string,
    ref: AppRef,
    detail: Record<string, unknown>,
  ): void {
    this.deps.audit.record({
      actor: principalName(caller.principal),
      action,
      target: repositoryOf(ref),
      address: caller.address,
      detail,
    });
  }
}
