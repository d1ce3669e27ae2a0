/**
 * What moves, read from the two configs: the database (SQLite in the source's data folder →
 * PostgreSQL at the target's `database.url`), the blob storage (one driver's objects → another's),
 * or both. What stays is named by both configs alike: the same data folder and no `database.url`,
 * or the same URL; the same fs root, or the same bucket and prefix.
 */
import { resolve } from 'node:path';
import type { Config } from '../../schemas/config.js';
import { fsStorageRoot } from '../storage-drivers.js';
import { MigrationError } from './migration-error.js';

export interface MigrationPlan {
  /** The target's PostgreSQL URL when the rows move; undefined when the database stays. */
  databaseTo: string | undefined;
  /** Whether the storage's objects move. */
  storageMoves: boolean;
  /** Whether the target runs on another data folder (its `keys/` must be carried over). */
  dataMoves: boolean;
}

export function planMigration(source: Config, target: Config): MigrationPlan {
  const sealedUnder = source.server.secretKey;
  if (sealedUnder !== undefined && target.server.secretKey !== sealedUnder)
    throw new MigrationError(
      'unsupported',
      "the target config must keep the source's server.secretKey: the token signing key and the webhook secrets in the database are sealed under it",
    );
  const dataMoves = resolve(source.data) !== resolve(target.data);
  const databaseTo = databaseMove(source, target, dataMoves);
  const storageMoves = !sameStorage(source, target);
  if (databaseTo === undefined && !storageMoves)
    throw new MigrationError(
      'unsupported',
      'the target config names the same database and the same storage as the source: nothing to move (set database.url and/or storage.driver: s3 in the target)',
    );
  return { databaseTo, storageMoves, dataMoves };
}

function databaseMove(source: Config, target: Config, dataMoves: boolean): string | undefined {
  const from = source.database.url;
  const to = target.database.url;
  if (to === undefined) {
    if (from === undefined && !dataMoves) return undefined;
    throw new MigrationError(
      'unsupported',
      from === undefined
        ? 'the target keeps SQLite in another data folder: stop the store and copy the folder instead (set database.url in the target to move to PostgreSQL)'
        : 'the source runs on PostgreSQL and the target on SQLite: migrate moves stores to PostgreSQL only',
    );
  }
  if (to === from) return undefined;
  if (from !== undefined)
    throw new MigrationError(
      'unsupported',
      'the source already runs on PostgreSQL: copy one PostgreSQL database to another with pg_dump and pg_restore',
    );
  return to;
}

function sameStorage(source: Config, target: Config): boolean {
  const [a, b] = [source.storage, target.storage];
  if (a.driver === 'fs' && b.driver === 'fs')
    return fsStorageRoot(source) === fsStorageRoot(target);
  if (a.driver === 's3' && b.driver === 's3')
    return (
      a.s3.endpoint === b.s3.endpoint && a.s3.bucket === b.s3.bucket && a.s3.prefix === b.s3.prefix
    );
  return false;
}
