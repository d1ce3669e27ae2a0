/** A keep-alive node:http client for the benchmark's own requests (uploads, pool runs). */
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { once } from 'node:events';

export interface SendOptions {
  method: string;
  headers?: Record<string, string>;
  /** A whole body, or chunks written with back-pressure (the same Buffer may repeat). */
  body?: Buffer | Iterable<Buffer>;
  /** Keep the response body (otherwise it is only counted). */
  collect?: boolean;
  agent?: Agent;
}

export interface SendResult {
  status: number;
  headers: IncomingHttpHeaders;
  bytes: number;
  body: Buffer;
}

export class BenchHttpError extends Error {
  override readonly name = 'BenchHttpError';
}

export function keepAliveAgent(maxSockets: number): Agent {
  return new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
}

export async function send(url: string | URL, options: SendOptions): Promise<SendResult> {
  const headers: Record<string, string> = { ...options.headers };
  const body = options.body;
  if (Buffer.isBuffer(body)) headers['content-length'] = String(body.length);
  else if (
    body === undefined &&
    ['POST', 'PUT', 'PATCH'].includes(options.method) &&
    !headers['content-length']
  ) {
    headers['content-length'] = '0';
  }
  const req = request(url, {
    method: options.method,
    headers,
    ...(options.agent ? { agent: options.agent } : {}),
  });
  const response = new Promise<SendResult>((resolve, reject) => {
    req.once('error', reject);
    req.once('response', (res) => {
      const parts: Buffer[] = [];
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (options.collect) parts.push(chunk);
      });
      res.once('error', reject);
      res.once('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          bytes,
          body: Buffer.concat(parts),
        }),
      );
    });
  });
  if (Buffer.isBuffer(body)) req.end(body);
  else if (body) {
    for (const chunk of body) {
      if (!req.write(chunk)) await Promise.race([once(req, 'drain'), response]);
    }
    req.end();
  } else req.end();
  return response;
}

/** Sends and insists on one status; the error carries the registry's answer. */
export async function expect(
  status: number,
  url: string | URL,
  options: SendOptions,
): Promise<SendResult> {
  const res = await send(url, { ...options, collect: true });
  if (res.status !== status) {
    throw new BenchHttpError(
      `${options.method} ${String(url)}: expected ${status}, got ${res.status} ${res.body.toString('utf8').slice(0, 300)}`,
    );
  }
  return res;
}

export interface PoolResult {
  seconds: number;
  count: number;
  /** Per-item latencies in milliseconds, in completion order. */
  latencies: number[];
}

/** Runs `fn` over `items` with `concurrency` in flight; times the whole run and each item. */
export async function runPool<T>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T) => Promise<void>,
): Promise<PoolResult> {
  const latencies: number[] = [];
  let next = 0;
  const started = process.hrtime.bigint();
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      const t0 = process.hrtime.bigint();
      await fn(item);
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return {
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
    count: items.length,
    latencies,
  };
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/** The middle value, or the mean of the middle two. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  if (sorted.length === 0) return NaN;
  return Number.isInteger(mid) ? (sorted[mid - 1]! + sorted[mid]!) / 2 : sorted[Math.floor(mid)]!;
}
