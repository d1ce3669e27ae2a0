/**
 * Retention's rows on SQLite: the queries as before the port, behind settled promises. Runs take
 * turns in the process (a promise chain); several processes over one SQLite file are not a
 * deployment this engine serves for retention (each would run its own schedule).
 */
import { and, eq } from 'drizzle-orm';
import type { RetentionRules } from '../../schemas/governance.js';
import { settle } from '../db/settle.js';
import type { SqliteDb } from '../db/store-database.js';
import { apps, packages, retentionRules, versions } from '../db/store-schema.js';
import type { RetainedApp, RetainedVersion, RetentionRepository } from './retention-repository.js';

/** The run under way (or last) per database: every repository of the process over it waits its turn. */
const turns = new WeakMap<SqliteDb, Promise<unknown>>();

export class SqliteRetentionRepository implements RetentionRepository {
  constructor(private readonly db: SqliteDb) {}

  rulesOf(namespace: string, app: string): Promise<RetentionRules | undefined> {
    return settle(() =>
      this.db
        .select({
          keepNewest: retentionRules.keepNewest,
          keepPulledDays: retentionRules.keepPulledDays,
          untaggedHours: retentionRules.untaggedHours,
        })
        .from(retentionRules)
        .where(and(eq(retentionRules.namespace, namespace), eq(retentionRules.app, app)))
        .get(),
    );
  }

  setRules(namespace: string, app: string, rules: RetentionRules, at: number): Promise<void> {
    return settle(() => {
      const values = { ...rules, updatedAt: at };
      this.db
        .insert(retentionRules)
        .values({ namespace, app, ...values })
        .onConflictDoUpdate({ target: [retentionRules.namespace, retentionRules.app], set: values })
        .run();
    });
  }

  governedNamespaces(): Promise<string[]> {
    return settle(() =>
      this.db
        .selectDistinct({ namespace: retentionRules.namespace })
        .from(retentionRules)
        .all()
        .map((r) => r.namespace)
        .sort(),
    );
  }

  appsOf(namespace: string, app?: string): Promise<RetainedApp[]> {
    return settle(() =>
      this.db
        .select({ id: apps.id, namespace: apps.namespace, name: apps.name, listed: apps.listed })
        .from(apps)
        .where(
          app === undefined
            ? eq(apps.namespace, namespace)
            : and(eq(apps.namespace, namespace), eq(apps.name, app)),
        )
        .orderBy(apps.name)
        .all(),
    );
  }

  versionsOf(appId: number): Promise<RetainedVersion[]> {
    return settle(() =>
      this.db
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
        .where(eq(versions.appId, appId))
        .all(),
    );
  }

  packagesOf(appId: number): Promise<{ name: string; versions: string }[]> {
    return settle(() =>
      this.db
        .select({ name: packages.name, versions: packages.versions })
        .from(packages)
        .where(eq(packages.appId, appId))
        .orderBy(packages.name)
        .all(),
    );
  }

  appExists(namespace: string, name: string): Promise<boolean> {
    return settle(
      () =>
        !!this.db
          .select({ id: apps.id })
          .from(apps)
          .where(and(eq(apps.namespace, namespace), eq(apps.name, name)))
          .get(),
    );
  }

  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = (turns.get(this.db) ?? Promise.resolve()).then(work, work);
    turns.set(
      this.db,
      run.catch(() => undefined),
    );
    return run;
  }
}
