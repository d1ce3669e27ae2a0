/**
 * Blob uploads (distribution-spec "push"): monolithic for small blobs (POST, then PUT with the
 * bytes), chunked for the rest (PATCH with Content-Range per chunk, then PUT ?digest=). Each
 * PATCH sends a bounded buffer, never the whole blob. A session that breaks can be resumed:
 * GET on its location tells how many bytes the registry holds (`Range: 0-<last>`).
 */
import type { Readable } from 'node:stream';
import type { Descriptor } from '../../schemas/oci.js';
import { repositoryScope } from './auth.js';
import type { CallOptions, MountResult, PushOptions, UploadSession } from './content.js';
import { readLimited, verifyBytes } from './digest.js';
import { ClientError } from './errors.js';
import { discard, requireHeader, type Transport } from './transport.js';

export interface UploadTuning {
  /** Bytes per PATCH. */
  chunkSize: number;
  /** Blobs up to this size go in one PUT. */
  monolithicMax: number;
}

export const DEFAULT_CHUNK_SIZE = 8 * 1024 * 1024;

const OCTET = 'application/octet-stream';

function sessionFrom(
  t: Transport,
  res: Response,
  repository: string,
  what: string,
  previous?: UploadSession,
): UploadSession {
  const location = res.headers.get('location') ?? previous?.location;
  if (!location) requireHeader(res, 'location', what);
  const offset = parseUploadRange(res.headers.get('range')) ?? previous?.offset ?? 0;
  return { repository, location: new URL(location ?? '', t.base).href, offset };
}

/**
 * `Range: 0-<last>` → bytes held. Registries answer `0-0` for an empty session as well as for a
 * one-byte one; we read it as 0 (at worst one byte is sent again and the registry checks it).
 */
export function parseUploadRange(header: string | null): number | undefined {
  if (header === null) return undefined;
  const m = /^(?:bytes=)?0-(\d+)$/.exec(header.trim());
  if (!m) return undefined;
  const last = Number(m[1]);
  return last === 0 ? 0 : last + 1;
}

export async function startUpload(
  t: Transport,
  repository: string,
  options: CallOptions = {},
): Promise<UploadSession> {
  const what = `start upload to ${repository}`;
  const res = await t.send({
    method: 'POST',
    path: `/v2/${repository}/blobs/uploads/`,
    scopes: [repositoryScope(repository, 'pull', 'push')],
    expect: [202],
    what,
    signal: options.signal,
  });
  await discard(res);
  return sessionFrom(t, res, repository, what);
}

/** POST ?mount=&from=: 201 means the registry linked the blob; 202 opens an ordinary upload instead. */
export async function mountBlob(
  t: Transport,
  repository: string,
  target: Descriptor,
  from: string,
  options: CallOptions = {},
): Promise<MountResult> {
  const what = `mount ${target.digest} from ${from} into ${repository}`;
  const res = await t.send({
    method: 'POST',
    path: `/v2/${repository}/blobs/uploads/`,
    query: { mount: target.digest, from },
    scopes: [repositoryScope(repository, 'pull', 'push'), repositoryScope(from, 'pull')],
    expect: [201, 202],
    what,
    signal: options.signal,
  });
  await discard(res);
  if (res.status === 201) return { mounted: true };
  return { mounted: false, session: sessionFrom(t, res, repository, what) };
}

export async function uploadStatus(
  t: Transport,
  session: UploadSession,
  options: CallOptions = {},
): Promise<UploadSession> {
  const what = `upload status in ${session.repository}`;
  const res = await t.send({
    method: 'GET',
    path: session.location,
    scopes: [repositoryScope(session.repository, 'pull', 'push')],
    expect: [204, 200],
    what,
    signal: options.signal,
  });
  await discard(res);
  return sessionFrom(t, res, session.repository, what, session);
}

export async function cancelUpload(
  t: Transport,
  session: UploadSession,
  options: CallOptions = {},
): Promise<void> {
  const res = await t.send({
    method: 'DELETE',
    path: session.location,
    scopes: [repositoryScope(session.repository, 'pull', 'push')],
    expect: [202, 204, 404],
    what: `cancel upload in ${session.repository}`,
    retry: false,
    signal: options.signal,
  });
  await discard(res);
}

/**
 * Writes `content` (the blob from byte `session.offset` on) and completes the upload. The
 * session is updated after every accepted chunk, so after a failure it says where to resume.
 */
export async function writeUpload(
  t: Transport,
  session: UploadSession,
  expected: Descriptor,
  content: Buffer | Readable,
  tuning: UploadTuning,
  options: PushOptions = {},
): Promise<void> {
  if (session.offset === 0 && expected.size <= tuning.monolithicMax) {
    const bytes = Buffer.isBuffer(content) ? content : await readBlob(content, expected);
    verifyBytes(bytes, expected);
    await complete(t, session, expected, bytes, options);
    options.onProgress?.(bytes.length);
    return;
  }
  const source: AsyncIterable<Buffer> | Iterable<Buffer> = Buffer.isBuffer(content)
    ? [content]
    : (content as AsyncIterable<Buffer>);
  // One chunk buffer for the whole upload: a fresh one per PATCH is garbage the GC frees late.
  const buffer = Buffer.allocUnsafeSlow(
    Math.max(1, Math.min(tuning.chunkSize, expected.size - session.offset)),
  );
  for await (const chunk of chunksOf(source, buffer)) {
    if (session.offset + chunk.length > expected.size) {
      throw new ClientError(
        'digest_mismatch',
        `content of ${expected.digest} is longer than ${expected.size} bytes`,
      );
    }
    await patch(t, session, chunk, options);
    options.onProgress?.(session.offset);
  }
  if (session.offset !== expected.size) {
    throw new ClientError(
      'digest_mismatch',
      `content of ${expected.digest} is ${session.offset} bytes, expected ${expected.size}`,
    );
  }
  await complete(t, session, expected, undefined, options);
}

async function readBlob(content: Readable, expected: Descriptor): Promise<Buffer> {
  try {
    return await readLimited(content, expected.size, `blob ${expected.digest}`);
  } catch (err) {
    if (err instanceof ClientError && err.code === 'too_large') {
      throw new ClientError(
        'digest_mismatch',
        `content of ${expected.digest} is longer than ${expected.size} bytes`,
      );
    }
    throw err;
  }
}

async function patch(
  t: Transport,
  session: UploadSession,
  chunk: Buffer,
  options: CallOptions,
): Promise<void> {
  const what = `upload chunk to ${session.repository}`;
  const res = await t.send({
    method: 'PATCH',
    path: session.location,
    scopes: [repositoryScope(session.repository, 'pull', 'push')],
    headers: {
      'content-type': OCTET,
      'content-range': `${session.offset}-${session.offset + chunk.length - 1}`,
      'content-length': String(chunk.length),
    },
    body: chunk,
    expect: [202],
    what,
    retry: false, // a chunk that may have landed is not replayed blindly: the caller asks for the status
    signal: options.signal,
  });
  await discard(res);
  const held = session.offset + chunk.length;
  const reported = parseUploadRange(res.headers.get('range'));
  session.location = sessionFrom(t, res, session.repository, what, session).location;
  session.offset = reported !== undefined && reported > 0 ? reported : held; // `0-0` is ambiguous: trust what we sent
}

async function complete(
  t: Transport,
  session: UploadSession,
  expected: Descriptor,
  body: Buffer | undefined,
  options: CallOptions,
): Promise<void> {
  const url = new URL(session.location);
  url.searchParams.set('digest', expected.digest);
  const res = await t.send({
    method: 'PUT',
    path: url.href,
    scopes: [repositoryScope(session.repository, 'pull', 'push')],
    headers: { 'content-type': OCTET, 'content-length': String(body?.length ?? 0) },
    body: body ?? Buffer.alloc(0),
    expect: [201],
    what: `complete upload of ${expected.digest} to ${session.repository}`,
    retry: false, // it may have succeeded: the caller checks the status or the blob
    signal: options.signal,
  });
  await discard(res);
  const digest = res.headers.get('docker-content-digest');
  if (digest !== null && digest !== expected.digest) {
    throw new ClientError('protocol', `registry stored ${digest}, expected ${expected.digest}`, {
      method: 'PUT',
      status: 201,
    });
  }
  session.offset = expected.size;
}

/**
 * Re-cuts a stream into chunks of `buffer.length` bytes (the last one shorter), copied into
 * `buffer`: every chunk is a view of it, valid until the next one is asked for. The memory of an
 * upload stays one chunk, however large the blob.
 */
export async function* chunksOf(
  source: AsyncIterable<Buffer> | Iterable<Buffer>,
  buffer: Buffer,
): AsyncGenerator<Buffer> {
  let held = 0;
  for await (const piece of source) {
    let rest = piece;
    while (rest.length > 0) {
      const copied = rest.copy(buffer, held);
      held += copied;
      rest = rest.subarray(copied);
      if (held === buffer.length) {
        yield buffer;
        held = 0;
      }
    }
  }
  if (held > 0) yield buffer.subarray(0, held);
}
