/**
 * Where an upload staged in storage keeps its bytes, and the state (in its SQL row) that lets
 * any process continue it:
 *
 *   _uploads/<id>/data          the multipart upload: parts 1..n, each exactly partSize bytes
 *   _uploads/<id>/at-<offset>   chunks after the parts, too small for a part together (< partSize)
 *
 * A chunk that brings the pending bytes to a part sends them as one part and deletes them.
 */
import { z } from 'zod';
import { OciError } from '../errors.js';
import type { StorageDriver } from '../storage/driver.js';
import type { PartPrefix } from '../storage/part-writer.js';
import { readLimited } from '../read-limited.js';

export const Staged = z.strictObject({
  /** The part size the parts were cut to. */
  partSize: z.number().int().positive(),
  /** The multipart upload of `_uploads/<id>/data`, made when the first part was due. */
  uploadId: z.string().optional(),
  etags: z.array(z.string()),
  pending: z.array(z.strictObject({ offset: z.number().int(), size: z.number().int() })),
});
export type Staged = z.infer<typeof Staged>;

export const UPLOADS_FOLDER = '_uploads';

export const dataKey = (id: string): string => `${UPLOADS_FOLDER}/${id}/data`;
export const pendingKey = (id: string, offset: number): string =>
  `${UPLOADS_FOLDER}/${id}/at-${offset}`;

/** The staging state of an upload of `size` bytes, checked against it. */
export function parseStaged(
  json: string | null | undefined,
  size: number,
  partSize: number,
): Staged {
  const staged = json
    ? Staged.safeParse(JSON.parse(json))
    : { success: true as const, data: { partSize, etags: [], pending: [] } };
  const held = staged.success
    ? staged.data.etags.length * staged.data.partSize +
      staged.data.pending.reduce((n, p) => n + p.size, 0)
    : -1;
  if (!staged.success || held !== size || staged.data.partSize !== partSize)
    throw new OciError('BLOB_UPLOAD_INVALID', 'the staged bytes do not match the upload', {
      size,
    });
  return staged.data;
}

/** The pending chunks of an upload as a PartWriter prefix; read at most once. */
export function pendingPrefix(driver: StorageDriver, id: string, staged: Staged): PartPrefix {
  let loaded: Promise<Buffer[]> | undefined;
  return {
    size: staged.pending.reduce((n, p) => n + p.size, 0),
    load: () =>
      (loaded ??= Promise.all(
        staged.pending.map(async (p) =>
          readLimited(
            await driver.read(pendingKey(id, p.offset)),
            p.size,
            () => new Error(`pending chunk at ${p.offset} is larger than recorded`),
          ),
        ),
      )),
  };
}

/** The fields of a state that can still be read, for cleaning up after it. */
export function looseStaged(state: string | null | undefined): Partial<Staged> {
  try {
    return state ? (JSON.parse(state) as Partial<Staged>) : {};
  } catch {
    return {};
  }
}
