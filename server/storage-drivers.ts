/**
 * The blob storage driver a config names (`storage.driver`): the explicit map the composition
 * root picks from, shared with `appshelf migrate`, which opens a source and a target store's.
 */
import { resolve } from 'node:path';
import { createFsDriver, loadS3Driver, type StorageDriver } from '../registry/index.js';
import type { Config } from '../schemas/config.js';

/** The fs driver's root: `<data>/storage`. */
export const fsStorageRoot = (config: Config): string => resolve(config.data, 'storage');

const STORAGE_DRIVERS: Record<
  Config['storage']['driver'],
  (config: Config, clock: () => number) => StorageDriver | Promise<StorageDriver>
> = {
  fs: (config) => createFsDriver(fsStorageRoot(config)),
  s3: async (config, clock) => {
    if (config.storage.driver !== 's3') throw new Error('not an s3 storage config');
    const { accessKeyId, secretAccessKey, ...s3 } = config.storage.s3;
    const { createS3Driver } = await loadS3Driver();
    return createS3Driver({
      ...s3,
      ...(accessKeyId && secretAccessKey && { credentials: { accessKeyId, secretAccessKey } }),
      clock,
    });
  },
};

export async function storageDriverOf(
  config: Config,
  clock: () => number = Date.now,
): Promise<StorageDriver> {
  return await STORAGE_DRIVERS[config.storage.driver](config, clock);
}
