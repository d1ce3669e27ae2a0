/**
 * Immutability rules on PostgreSQL: the same queries; setting rules is one upsert, so two owners
 * setting them at once leave one of the two whole.
 */
import { and, eq } from 'drizzle-orm';
import { namespaces } from '../db/schema.pg.js';
import type { PgDb } from '../db/store-database.js';
import { apps, namespaceImmutability, versions } from '../db/store-schema.pg.js';
import type { ImmutabilityRepository, ImmutabilityRow } from './immutability-repository.js';

export class PgImmutabilityRepository implements ImmutabilityRepository {
  constructor(private readonly db: PgDb) {}

  async rulesOf(namespace: string): Promise<ImmutabilityRow | undefined> {
    const [row] = await this.db
      .select({
        versions: namespaceImmutability.versions,
        tagPatterns: namespaceImmutability.tagPatterns,
      })
      .from(namespaceImmutability)
      .innerJoin(namespaces, eq(namespaces.id, namespaceImmutability.namespaceId))
      .where(eq(namespaces.name, namespace));
    return row;
  }

  async setRules(namespace: string, rules: ImmutabilityRow, at: number): Promise<boolean> {
    const [ns] = await this.db
      .select({ id: namespaces.id })
      .from(namespaces)
      .where(eq(namespaces.name, namespace));
    if (!ns) return false;
    const values = { ...rules, updatedAt: at };
    await this.db
      .insert(namespaceImmutability)
      .values({ namespaceId: ns.id, ...values })
      .onConflictDoUpdate({ target: namespaceImmutability.namespaceId, set: values });
    return true;
  }

  async versionState(
    namespace: string,
    name: string,
    version: string,
  ): Promise<string | undefined> {
    const [row] = await this.db
      .select({ state: versions.state })
      .from(versions)
      .innerJoin(apps, eq(apps.id, versions.appId))
      .where(and(eq(apps.namespace, namespace), eq(apps.name, name), eq(versions.version, version)))
      .limit(1);
    return row?.state;
  }
}
