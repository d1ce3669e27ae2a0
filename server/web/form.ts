/** Reading posted forms: urlencoded fields, and multipart (a logo or avatar upload) with a size limit. */
import type { Request } from 'express';
import { withoutNul } from '../../schemas/nul.js';
import { StoreError } from '../errors.js';

export type Fields = Record<string, string | string[] | undefined>;

/** A field's single value ('' when absent; the first when repeated). */
export function field(fields: Fields, name: string): string {
  const v = fields[name];
  return (Array.isArray(v) ? v[0] : v) ?? '';
}

/** A field's values (checkboxes, repeated inputs). */
export function fieldList(fields: Fields, name: string): string[] {
  const v = fields[name];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/**
 * The posted form's fields (urlencoded, or the text fields `readMultipart` read), without U+0000:
 * every field of a form is text a person typed (names, descriptions, tags, URLs), which
 * PostgreSQL's text cannot hold with a NUL (SQLite's can), and a browser cannot type one; as
 * the store API's input (server/http/validate.ts), it is dropped, so both engines store the same.
 */
export function formOf(req: Request): Fields {
  return withoutNul(req.body && typeof req.body === 'object' ? req.body : {}) as Fields;
}

/** "a, b,c" → ['a', 'b', 'c'] (tags typed into one box). */
export function splitList(text: string): string[] {
  return text
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

export interface Upload {
  name: string;
  bytes: Buffer;
}

const uploads = new WeakMap<Request, Record<string, Upload>>();

/** The file posted in `name` of a multipart form that `readMultipart` read, if any. */
export function uploadOf(req: Request, name: string): Upload | undefined {
  return uploads.get(req)?.[name];
}

/**
 * Reads a multipart/form-data body of at most `limit` bytes: its text fields become `req.body`,
 * as an urlencoded form's do (so the CSRF check and `formOf` read both alike), and its non-empty
 * files are kept for `uploadOf`.
 */
export async function readMultipart(req: Request, limit: number): Promise<void> {
  const type = req.get('content-type') ?? '';
  if (!type.startsWith('multipart/form-data'))
    throw new StoreError('invalid', 'expected a multipart form');
  const declared = Number(req.get('content-length') ?? 0);
  if (declared > limit)
    throw new StoreError('too_large', `the upload is larger than ${Math.round(limit / 1024)} KiB`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit)
      throw new StoreError(
        'too_large',
        `the upload is larger than ${Math.round(limit / 1024)} KiB`,
      );
    chunks.push(chunk);
  }
  const form = await new Response(Buffer.concat(chunks), { headers: { 'content-type': type } })
    .formData()
    .catch((err: unknown) => {
      throw new StoreError('invalid', 'malformed multipart form', undefined, { cause: err });
    });
  const fields: Fields = {};
  const files: Record<string, Upload> = {};
  for (const [name, value] of form.entries()) {
    if (typeof value === 'string') fields[name] = value;
    else if (value.size > 0)
      files[name] = { name: value.name, bytes: Buffer.from(await value.arrayBuffer()) };
  }
  req.body = fields;
  uploads.set(req, files);
}
