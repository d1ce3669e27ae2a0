/**
 * What /readyz checks: the database answers a query, and blob storage can be reached (S3: one
 * HEAD of a fixed key, which costs one request and no bytes whether or not the key exists) or
 * written (fs: the storage folder, or the data folder before the first blob made it).
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import type { StorageDriver } from '../../registry/index.js';
import type { StoreDatabase } from '../db/store-database.js';
import type { Check } from './readiness.js';

/** The key /readyz HEADs on S3: absent is fine (stat answers undefined), unreachable is not. */
export const READY_PROBE_KEY = '_readyz';

/**
 * The database answers a query (PostgreSQL: through the pool, so a pool with every connection
 * stuck reports not ready); on SQLite its folder also takes writes (the WAL and its checkpoints
 * need them).
 */
export function databaseCheck(store: StoreDatabase, dataDir: string): Check {
  return async () => {
    await store.ping();
    if (store.dialect === 'sqlite') await access(dataDir, constants.W_OK);
    return { dialect: store.dialect };
  };
}

export function storageCheck(driver: StorageDriver, fsRoot: string, dataDir: string): Check {
  if (driver.name === 's3')
    return async () => {
      await driver.stat(READY_PROBE_KEY);
      return { driver: 's3' };
    };
  return async () => {
    // The driver creates its root on the first write; until then the data folder must take it.
    const dir = (await stat(fsRoot).catch(() => undefined)) ? fsRoot : dataDir;
    if (!(await stat(dir)).isDirectory())
      throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    await access(dir, constants.W_OK);
    return { driver: 'fs' };
  };
}
