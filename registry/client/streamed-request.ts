/**
 * One HTTP request whose body is read as a Node stream, over undici's `request` instead of
 * `fetch`. A fetch body is a web stream: each socket read became a web chunk, a promise of the
 * async iterator and a Buffer again, which with the streams around it was most of what a
 * pull-through cache spent per byte. `request` hands the socket's Buffers to a Node Readable
 * as they come. It goes through the same dispatcher as the fetch (the outbound guard's Agent),
 * so every hop is checked the same way.
 */
import './builtin-fetch-first.js';
import type { Readable } from 'node:stream';
import { request, type Dispatcher } from 'undici';
import { errorFromResponse, type ClientError } from './errors.js';

export interface StreamedAnswer {
  status: number;
  headers: Headers;
  /** The body, unread: a stream of Buffers. */
  body: Readable;
}

export interface StreamedInit {
  method: 'GET';
  headers: Record<string, string>;
  signal?: AbortSignal | undefined;
  /** The body fails when no byte of it arrives for this long (default: the dispatcher's). */
  idleTimeoutMs?: number | undefined;
}

/**
 * How much of the body undici buffers before it stops reading the socket: above its 64 KiB
 * default, so a consumer that writes in larger batches does not pause the socket per read.
 */
const BODY_HIGH_WATER_MARK = 1024 * 1024;

/** Bodies we drop or read for an error message are read this far, no further. */
const MAX_SMALL_BODY = 64 * 1024;

/** Sends one request (no redirect followed): the status, headers and the body unread. */
export async function streamedRequest(
  dispatcher: Dispatcher,
  url: URL,
  init: StreamedInit,
): Promise<StreamedAnswer> {
  const res = await request(url, {
    dispatcher,
    method: init.method,
    headers: init.headers,
    highWaterMark: BODY_HIGH_WATER_MARK,
    ...(init.signal ? { signal: init.signal } : {}),
    ...(init.idleTimeoutMs !== undefined ? { bodyTimeout: init.idleTimeoutMs } : {}),
  });
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value !== undefined) headers.append(name, value);
  }
  return { status: res.statusCode, headers, body: res.body };
}

/** Lets go of a body nobody reads (a redirect's, a challenge's): a little is read, then it is cut. */
export async function discardStreamed(answer: StreamedAnswer): Promise<void> {
  await readSome(answer.body);
}

/** The ClientError for an answer with an unexpected status (its registry error body read). */
export async function errorFromStreamed(
  answer: StreamedAnswer,
  method: string,
  url: string,
  what: string,
): Promise<ClientError> {
  const bytes = await readSome(answer.body);
  // A Response only to reuse the one reading of registry error bodies; some statuses carry none.
  const noBody = [204, 205, 304].includes(answer.status) || bytes.length === 0;
  const res = new Response(noBody ? null : bytes, {
    status: answer.status,
    headers: answer.headers,
  });
  return errorFromResponse(res, method, url, what);
}

/** Up to MAX_SMALL_BODY bytes of a body; the rest is not read (the stream is destroyed). */
async function readSome(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let seen = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      seen += chunk.length;
      if (seen > MAX_SMALL_BODY) break; // leaving the loop destroys the stream
    }
  } catch {
    // the connection is gone anyway
  }
  return Buffer.concat(chunks).subarray(0, MAX_SMALL_BODY + 1);
}
