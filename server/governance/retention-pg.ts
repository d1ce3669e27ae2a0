/**
 * Retention's rows on PostgreSQL: the same queries through drizzle node-postgres. A real run holds
 * a session advisory lock (RETENTION_LOCK) on one pooled connection from start to end, so runs of
 * every process take turns: two schedules (or an owner's run and a schedule) never judge and
 * remove the same versions at once. The lock goes with the connection should the process die.
 */
import { and, eq } from 'drizzle-orm';
import type { RetentionRules } from '../../schemas/governance.js';
import type { PgStoreDatabase } from '../db/store-database.js';
import { apps, packages, retentionRules, versions } from '../db/store-schema.pg.js';
import type { RetainedApp, RetainedVersion, RetentionRepository } from './retention-repository.js';

/** Any fixed number: the advisory lock one retention run holds at a time. */
const RETENTION_LOCK = 0x72657465; // 'rete'

export class PgRetentionRepository implements RetentionRepository {
  constructor(private readonly store: PgStoreDatabase) {}

  private get db() {
    return this.store.db;
  }

  async rulesOf(namespace: string, app: string): Promise<RetentionRules | undefined> {
    const [row] = await this.db
      .select({
        keepNewest: retentionRules.keepNewest,
        keepPulledDays: retentionRules.keepPulledDays,
        untaggedHours: retentionRules.untaggedHours,
      })
      .from(retentionRules)
      .where(and(eq(retentionRules.namespace, namespace), eq(retentionRules.app, app)));
    return row;
  }

  async setRules(namespace: string, app: string, rules: RetentionRules, at: number): Promise<void> {
    const values = { ...rules, updatedAt: at };
    await this.db
      .insert(retentionRules)
      .values({ namespace, app, ...values })
      .onConflictDoUpdate({ target: [retentionRules.namespace, retentionRules.app], set: values });
  }

  async governedNamespaces(): Promise<string[]> {
    const rows = await this.db
      .selectDistinct({ namespace: retentionRules.namespace })
      .from(retentionRules);
    return rows.map((r) => r.namespace).sort();
  }

  async appsOf(namespace: string, app?: string): Promise<RetainedApp[]> {
    return this.db
      .select({ id: apps.id, namespace: apps.namespace, name: apps.name, listed: apps.listed })
      .from(apps)
      .where(
        app === undefined
          ? eq(apps.namespace, namespace)
          : and(eq(apps.namespace, namespace), eq(apps.name, app)),
      )
      .orderBy(apps.name);
  }

  async versionsOf(appId: number): Promise<RetainedVersion[]> {
    return this.db
      .select({
        id: versions.id,
        version: versions.version,
        state: versions.state,
        manifestDigest: versions.manifestDigest,
        createdAt: versions.createdAt,
        updatedAt: versions.updatedAt,
        lastUsedAt: versions.lastUsedAt,
      })
      .from(versions)
      .where(eq(versions.appId, appId));
  }

  async packagesOf(appId: number): Promise<{ name: string; versions: string }[]> {
    return this.db
      .select({ name: packages.name, versions: packages.versions })
      .from(packages)
      .where(eq(packages.appId, appId))
      .orderBy(packages.name);
  }

  async appExists(namespace: string, name: string): Promise<boolean> {
    const [row] = await this.db
      .select({ id: apps.id })
      .from(apps)
      .where(and(eq(apps.namespace, namespace), eq(apps.name, name)))
      .limit(1);
    return row !== undefined;
  }

  async exclusive<T>(work: () => Promise<T>): Promise<T> {
    const client = await this.store.pool.connect();
    let broken = false;
    try {
      // Waiting for another process's run may take longer than the pool's statement timeout.
      await client.query('SET statement_timeout = 0');
      await client.query('SELECT pg_advisory_lock($1)', [RETENTION_LOCK]);
      await client.query('RESET statement_timeout');
      try {
        return await work();
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [RETENTION_LOCK]);
      }
    } catch (err) {
      broken = true; // the connection is dropped, not pooled: a lock it may hold goes with it
      throw err;
    } finally {
      client.release(broken);
    }
  }
}
