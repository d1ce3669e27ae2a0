/** Immutability rules on SQLite: the queries as before the port, behind settled promises. */
import { and, eq } from 'drizzle-orm';
import { namespaces } from '../db/schema.js';
import { settle } from '../db/settle.js';
import type { SqliteDb } from '../db/store-database.js';
import { apps, namespaceImmutability, versions } from '../db/store-schema.js';
import type { ImmutabilityRepository, ImmutabilityRow } from './immutability-repository.js';

export class SqliteImmutabilityRepository implements ImmutabilityRepository {
  constructor(private readonly db: SqliteDb) {}

  rulesOf(namespace: string): Promise<ImmutabilityRow | undefined> {
    return settle(() =>
      this.db
        .select({
          versions: namespaceImmutability.versions,
          tagPatterns: namespaceImmutability.tagPatterns,
        })
        .from(namespaceImmutability)
        .innerJoin(namespaces, eq(namespaces.id, namespaceImmutability.namespaceId))
        .where(eq(namespaces.name, namespace))
        .get(),
    );
  }

  setRules(namespace: string, rules: ImmutabilityRow, at: number): Promise<boolean> {
    return settle(() => {
      const ns = this.db
        .select({ id: namespaces.id })
        .from(namespaces)
        .where(eq(namespaces.name, namespace))
        .get();
      if (!ns) return false;
      const values = { ...rules, updatedAt: at };
      this.db
        .insert(namespaceImmutability)
        .values({ namespaceId: ns.id, ...values })
        .onConflictDoUpdate({ target: namespaceImmutability.namespaceId, set: values })
        .run();
      return true;
    });
  }

  versionState(namespace: string, name: string, version: string): Promise<string | undefined> {
    return settle(
      () =>
        this.db
          .select({ state: versions.state })
          .from(versions)
          .innerJoin(apps, eq(apps.id, versions.appId))
          .where(
            and(eq(apps.namespace, namespace), eq(apps.name, name), eq(versions.version, version)),
          )
          .get()?.state,
    );
  }
}
