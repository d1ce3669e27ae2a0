import { StorageError } from '../driver.js';

/** Whether an S3 SDK error says the object (or upload) is not there. */
export function isS3NotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  return (
    e?.name === 'NoSuchKey' ||
    e?.name === 'NotFound' ||
    e?.name === 'NoSuchUpload' ||
    e?.$metadata?.httpStatusCode === 404
  );
}

/** The driver's error for a failed S3 call: not_found for a missing object, else io. */
export function s3Failure(op: string, key: string, err: unknown): StorageError {
  if (err instanceof StorageError) return err;
  return isS3NotFound(err)
    ? new StorageError('not_found', 's3', `${op} ${key}: not found`, { cause: err })
    : new StorageError('io', 's3', `${op} ${key}: ${(err as Error).message}`, { cause: err });
}
