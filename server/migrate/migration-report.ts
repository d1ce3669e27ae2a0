/** The lines `appshelf migrate` prints: what moves where, progress, and what is left to do. */
import { resolve } from 'node:path';
import type { Config } from '../../schemas/config.js';
import { fsStorageRoot } from '../storage-drivers.js';
import type { ObjectCopyTotals } from './copy-objects.js';
import { redactUrl } from './migration-error.js';
import type { MigrationPlan } from './migration-plan.js';

export function databaseName(config: Config): string {
  return config.database.url === undefined
    ? `SQLite ${resolve(config.data, 'appshelf.db')}`
    : `PostgreSQL ${redactUrl(config.database.url)}`;
}

export function storageName(config: Config): string {
  const { storage } = config;
  if (storage.driver === 'fs') return `fs ${fsStorageRoot(config)}`;
  const where = storage.s3.endpoint ?? 'AWS';
  return `s3 ${where} bucket ${storage.s3.bucket}${storage.s3.prefix ? ` prefix ${storage.s3.prefix}` : ''}`;
}

export function planLines(source: Config, target: Config, plan: MigrationPlan): string[] {
  return [
    plan.databaseTo === undefined
      ? `database: stays (${databaseName(source)})`
      : `database: ${databaseName(source)} → ${databaseName(target)}`,
    plan.storageMoves
      ? `storage: ${storageName(source)} → ${storageName(target)}`
      : `storage: stays (${storageName(source)})`,
  ];
}

export function objectsLine(totals: Readonly<ObjectCopyTotals>): string {
  const present = totals.present
    ? `, ${totals.present} already there (${bytes(totals.presentBytes)})`
    : '';
  return `storage: ${totals.copied} objects copied (${bytes(totals.copiedBytes)})${present}`;
}

/**
 * The server secrets (login codes, CSRF tokens, sealing webhook secrets) are files in
 * `<data>/keys/` unless `server.secretKey` derives them (server/keys/server-secrets.ts): the
 * database copy holds neither. A target without the same ones cannot check what the old store
 * issued nor open the webhook secrets it sealed.
 */
export function keysLines(source: Config, target: Config, files: readonly string[]): string[] {
  const from = resolve(source.data, 'keys');
  const into = resolve(target.data, 'keys');
  const sameFolder = resolve(source.data) === resolve(target.data);
  if (source.server.secretKey !== undefined)
    return ['keys: derived from server.secretKey, which the target keeps: nothing to carry over'];
  if (!files.length) return [`keys: ${from} holds no secrets yet; nothing to carry over`];
  const listed = `${from} (${files.join(', ')})`;
  if (target.server.secretKey !== undefined)
    return [
      sameFolder
        ? `keys: the target sets server.secretKey: its first start, on this data folder, seals the webhook secrets and the token signing key again under it with the files in ${listed}; keep them until then`
        : `keys: the target sets server.secretKey: copy ${listed} to ${into} (mode 0600) for its first start, which seals the webhook secrets and the token signing key again under the secretKey; after it, processes need only the secretKey`,
    ];
  if (sameFolder)
    return [
      `keys: the secrets in ${listed} stay where they are; every further store process needs the same files in its own data folder's keys/, or the store a server.secretKey (docs/deployment.md)`,
    ];
  return [
    `keys: copy ${listed} to ${into} before the store starts on the target (keep the files' mode 0600): without them login codes, CSRF tokens and stored webhook secrets stop working`,
  ];
}

export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${n} B` : `${value.toFixed(1)} ${units[unit]}`;
}
