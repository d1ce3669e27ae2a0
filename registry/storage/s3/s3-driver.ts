/**
 * Blob storage in an S3 bucket (AWS or any S3-compatible service), under an optional key prefix.
 * Every write is all or nothing by S3's own rules: an object appears only when its PUT or its
 * CompleteMultipartUpload succeeds. Streams stay streams: reads pipe GetObject bodies, writes go
 * through a PartWriter of a few reused part buffers, so memory is flat whatever the size.
 * With `redirectBlobGets` it also hands out presigned GET URLs (`redirectUrl`), signed locally
 * (no S3 request) and reused per key for part of their lifetime (presigned-urls.ts).
 */
import { createReadStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { StorageError, type ByteRange, type ObjectInfo, type StorageDriver } from '../driver.js';
import { exactLength } from '../exact-length.js';
import { PartWriter } from '../part-writer.js';
import { PresignedUrls } from './presigned-urls.js';
import { isS3NotFound, s3Failure } from './s3-errors.js';
import { s3Multipart } from './s3-multipart.js';

const KEY = /^[a-zA-Z0-9._-]+(\/[a-zA-Z0-9._-]+)*$/;
/** S3's most keys in one DeleteObjects request. */
const DELETE_BATCH = 1000;

export interface S3DriverOptions {
  bucket: string;
  /** Key prefix inside the bucket: '' or ending in '/'. */
  prefix: string;
  region: string;
  /** Absent: AWS. */
  endpoint?: string | undefined;
  forcePathStyle: boolean;
  /** Absent: the SDK's default credential chain (environment, profile, instance role). */
  credentials?: { accessKeyId: string; secretAccessKey: string } | undefined;
  partSize?: number;
  /** Blob GETs answer 307 to a presigned URL (the driver then has `redirectUrl`). */
  redirectBlobGets?: boolean;
  /** The time presigned URLs are signed at and reused by (ms since the epoch). */
  clock?: () => number;
}

export function createS3Driver(options: S3DriverOptions): StorageDriver {
  const client = new S3Client({
    region: options.region,
    forcePathStyle: options.forcePathStyle,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    // Checksums only where S3 demands them (DeleteObjects): most S3-compatible services and
    // older gateways reject the SDK's newer default of a checksum trailer on every upload.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const { bucket, prefix } = options;
  const keyOf = (key: string): string => {
    if (!KEY.test(key) || key.split('/').some((p) => p === '.' || p === '..'))
      throw new StorageError('invalid_key', 's3', `invalid key ${JSON.stringify(key)}`);
    return prefix + key;
  };
  const multipart = s3Multipart({ client, bucket, keyOf }, options.partSize);
  const presigned =
    options.redirectBlobGets === true
      ? new PresignedUrls(
          (key, expiresIn, signingDate) =>
            getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: keyOf(key) }), {
              expiresIn,
              signingDate,
            }),
          undefined,
          options.clock,
        )
      : undefined;

  async function get(key: string, range?: ByteRange): Promise<Readable> {
    try {
      const out = await client.send(
        new GetObjectCommand({
          Bucket: bucket,
          Key: keyOf(key),
          ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
        }),
      );
      return out.Body as Readable;
    } catch (err) {
      throw s3Failure('get', key, err);
    }
  }

  async function write(key: string, body: Readable, signal?: AbortSignal): Promise<ObjectInfo> {
    keyOf(key);
    const writer = new PartWriter(multipart, key);
    try {
      signal?.throwIfAborted();
      for await (const chunk of body as AsyncIterable<Buffer>) {
        signal?.throwIfAborted();
        await writer.write(chunk);
      }
      await writer.commit();
    } catch (err) {
      await writer.abort();
      throw s3Failure('write', key, err);
    }
    return { key, size: writer.written, modifiedAt: new Date() };
  }

  async function deleteBatch(keys: readonly string[]): Promise<void> {
    const out = await client.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: { Objects: keys.map((k) => ({ Key: keyOf(k) })), Quiet: true },
      }),
    );
    const failed = out.Errors ?? [];
    if (failed.length > 0)
      throw new StorageError(
        'io',
        's3',
        `delete ${failed.length} of ${keys.length} objects: ${failed[0]!.Code} ${failed[0]!.Key}`,
      );
  }

  return {
    name: 's3',
    multipart,

    async stat(key: string): Promise<ObjectInfo | undefined> {
      try {
        const out = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: keyOf(key) }));
        return { key, size: out.ContentLength ?? 0, modifiedAt: out.LastModified ?? new Date(0) };
      } catch (err) {
        if (isS3NotFound(err)) return undefined;
        throw s3Failure('stat', key, err);
      }
    },

    read: get,

    async openToSend(key: string, range: ByteRange) {
      const body = await get(key, range);
      return async (out: Writable): Promise<void> => {
        await pipeline(body, exactLength(range.end - range.start + 1), out);
      };
    },

    write,

    async adopt(localPath: string, key: string): Promise<void> {
      await write(key, createReadStream(localPath, { highWaterMark: 1024 * 1024 }));
      await unlink(localPath);
    },

    async delete(key: string): Promise<void> {
      try {
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: keyOf(key) }));
      } catch (err) {
        if (!isS3NotFound(err)) throw s3Failure('delete', key, err);
      }
    },

    async deleteMany(keys: readonly string[]): Promise<void> {
      for (let i = 0; i < keys.length; i += DELETE_BATCH) {
        const batch = keys.slice(i, i + DELETE_BATCH);
        try {
          await deleteBatch(batch);
        } catch (err) {
          throw s3Failure(`delete ${batch.length} objects from`, batch[0]!, err);
        }
      }
    },

    async *list(folder: string): AsyncIterable<ObjectInfo> {
      const under = prefix + (folder === '' || folder.endsWith('/') ? folder : `${folder}/`);
      let token: string | undefined;
      do {
        let page;
        try {
          page = await client.send(
            new ListObjectsV2Command({ Bucket: bucket, Prefix: under, ContinuationToken: token }),
          );
        } catch (err) {
          throw s3Failure('list', folder, err);
        }
        for (const o of page.Contents ?? []) {
          if (!o.Key) continue;
          yield {
            key: o.Key.slice(prefix.length),
            size: o.Size ?? 0,
            modifiedAt: o.LastModified ?? new Date(0),
          };
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    },

    ...(presigned && {
      async redirectUrl(key: string): Promise<string> {
        try {
          return await presigned.get(key);
        } catch (err) {
          // Signing asks nothing of S3, but the default credential chain may fail to resolve.
          throw s3Failure('presign', key, err);
        }
      },
    }),
  };
}
