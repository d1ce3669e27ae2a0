/** S3 multipart uploads and server-side copies, as the registry's MultipartStore. */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { MultipartStore } from '../driver.js';
import { s3Failure } from './s3-errors.js';

const MiB = 1024 * 1024;
/** S3's smallest part but the last. */
export const MIN_PART_SIZE = 5 * MiB;
/** 10 MiB parts, as Distribution's S3 driver cuts them: with S3's 10,000 parts, ~97 GiB a blob. */
export const DEFAULT_PART_SIZE = 10 * MiB;
/** The largest object one CopyObject may copy; beyond, parts are copied one by one. */
const MAX_SINGLE_COPY = 5 * 1024 * MiB;
const COPY_PART_SIZE = 1024 * MiB;

export interface S3Target {
  client: S3Client;
  bucket: string;
  /** The full S3 key of a driver key (prefix and key check). */
  keyOf(key: string): string;
}

export function s3Multipart(target: S3Target, partSize = DEFAULT_PART_SIZE): MultipartStore {
  const { client, bucket, keyOf } = target;
  const run = async <T>(op: string, key: string, work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      throw s3Failure(op, key, err);
    }
  };

  return {
    minPartSize: MIN_PART_SIZE,
    partSize: Math.max(partSize, MIN_PART_SIZE),

    create: (key) =>
      run('create multipart upload', key, async () => {
        const out = await client.send(
          new CreateMultipartUploadCommand({ Bucket: bucket, Key: keyOf(key) }),
        );
        if (!out.UploadId) throw new Error('no UploadId in the answer');
        return out.UploadId;
      }),

    uploadPart: (key, uploadId, partNumber, body) =>
      run(`upload part ${partNumber}`, key, async () => {
        const out = await client.send(
          new UploadPartCommand({
            Bucket: bucket,
            Key: keyOf(key),
            UploadId: uploadId,
            PartNumber: partNumber,
            Body: body,
            ContentLength: body.length,
          }),
        );
        if (!out.ETag) throw new Error('no ETag in the answer');
        return out.ETag;
      }),

    complete: (key, uploadId, etags) =>
      run('complete multipart upload', key, async () => {
        await client.send(
          new CompleteMultipartUploadCommand({
            Bucket: bucket,
            Key: keyOf(key),
            UploadId: uploadId,
            MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
          }),
        );
      }),

    abort: (key, uploadId) =>
      run('abort multipart upload', key, async () => {
        await client.send(
          new AbortMultipartUploadCommand({ Bucket: bucket, Key: keyOf(key), UploadId: uploadId }),
        );
      }),

    put: (key, body) =>
      run('put', key, async () => {
        await client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: keyOf(key),
            Body: body,
            ContentLength: body.length,
          }),
        );
      }),

    copy: (from, to, size) =>
      run(`copy from ${from}`, to, async () => {
        const source = `${bucket}/${keyOf(from)}`;
        if (size <= MAX_SINGLE_COPY) {
          await client.send(
            new CopyObjectCommand({ Bucket: bucket, Key: keyOf(to), CopySource: source }),
          );
          return;
        }
        // Past 5 GiB S3 copies only part by part (UploadPartCopy), still inside the service.
        const created = await client.send(
          new CreateMultipartUploadCommand({ Bucket: bucket, Key: keyOf(to) }),
        );
        const uploadId = created.UploadId!;
        try {
          const etags: string[] = [];
          for (let start = 0, part = 1; start < size; start += COPY_PART_SIZE, part++) {
            const end = Math.min(start + COPY_PART_SIZE, size) - 1;
            const out = await client.send(
              new UploadPartCopyCommand({
                Bucket: bucket,
                Key: keyOf(to),
                UploadId: uploadId,
                PartNumber: part,
                CopySource: source,
                CopySourceRange: `bytes=${start}-${end}`,
              }),
            );
            etags.push(out.CopyPartResult!.ETag!);
          }
          await client.send(
            new CompleteMultipartUploadCommand({
              Bucket: bucket,
              Key: keyOf(to),
              UploadId: uploadId,
              MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
            }),
          );
        } catch (err) {
          await client
            .send(
              new AbortMultipartUploadCommand({
                Bucket: bucket,
                Key: keyOf(to),
                UploadId: uploadId,
              }),
            )
            .catch(() => undefined);
          throw err;
        }
      }),
  };
}
