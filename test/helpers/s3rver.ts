/**
 * A real S3 endpoint for tests: s3rver in a child process (with --openssl-legacy-provider, which
 * s3rver 3.7 needs on Node 20 to list past 1,000 keys), behind a recording proxy in this process,
 * so a test can see which S3 requests the store made (UploadPart sizes, DeleteObjects batches).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const S3RVER = fileURLToPath(new URL('../../node_modules/s3rver/bin/s3rver.js', import.meta.url));
export const S3_BUCKET = 'appshelf';
/** s3rver checks no signatures; these are its documented defaults. */
export const S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface S3Request {
  method: string;
  /** The object key, without the bucket (empty for bucket requests). */
  key: string;
  query: URLSearchParams;
  /** Bytes of the request body. */
  bytes: number;
  /** The body of a DeleteObjects request (small XML), else undefined. */
  body?: string;
}

export interface S3Server {
  /** The recording proxy's URL: give it to the store as `storage.s3.endpoint`. */
  endpoint: string;
  /** s3rver itself, for tests that want no proxy in the way (large transfers). */
  directEndpoint: string;
  bucket: string;
  requests: S3Request[];
  /** The UploadPart requests made so far, in order. */
  parts(): S3Request[];
  process: ChildProcess;
  /** s3rver's data folder. */
  dir: string;
  close(): Promise<void>;
}

export async function startS3rver(): Promise<S3Server> {
  const dir = await mkdtemp(join(tmpdir(), 'appshelf-s3rver-'));
  const child = spawn(
    process.execPath,
    [
      '--openssl-legacy-provider',
      S3RVER,
      ...['-d', dir, '-a', '127.0.0.1', '-p', '0', '--silent'],
      ...['--configure-bucket', S3_BUCKET],
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output: string[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output.push(chunk.toString('utf8'));
      const m = /S3rver listening on [^:]+:(\d+)/.exec(output.join(''));
      if (m) resolve(Number(m[1]));
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => output.push(c.toString('utf8')));
    child.once('exit', (code) => reject(new Error(`s3rver exited ${code}: ${output.join('')}`)));
  });
  child.stdout!.resume();
  child.stderr!.resume();

  const requests: S3Request[] = [];
  const proxy: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://s3');
    const [, , ...rest] = url.pathname.split('/');
    const record: S3Request = {
      method: req.method ?? 'GET',
      key: decodeURIComponent(rest.join('/')),
      query: url.searchParams,
      bytes: 0,
    };
    requests.push(record);
    const isDelete = req.method === 'POST' && url.searchParams.has('delete');
    const body: Buffer[] = [];
    const upstream = request(
      { host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.on('data', (chunk: Buffer) => {
      record.bytes += chunk.length;
      if (isDelete) body.push(chunk);
    });
    req.on('end', () => {
      if (isDelete) record.body = Buffer.concat(body).toString('utf8');
    });
    req.pipe(upstream);
  });
  proxy.listen(0, '127.0.0.1');
  await once(proxy, 'listening');
  const proxyPort = (proxy.address() as AddressInfo).port;

  let closed = false;
  return {
    endpoint: `http://127.0.0.1:${proxyPort}`,
    directEndpoint: `http://127.0.0.1:${port}`,
    bucket: S3_BUCKET,
    requests,
    parts: () => requests.filter((r) => r.method === 'PUT' && r.query.has('partNumber')),
    process: child,
    dir,
    async close() {
      if (closed) return;
      closed = true;
      proxy.closeAllConnections();
      await new Promise<void>((done) => proxy.close(() => done()));
      if (child.exitCode === null) {
        const exited = once(child, 'exit');
        child.kill();
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The `storage` config of a store on `s3`, its keys under `prefix`. */
export function s3Storage(s3: Pick<S3Server, 'endpoint' | 'bucket'>, prefix = '') {
  return {
    driver: 's3' as const,
    s3: {
      endpoint: s3.endpoint,
      region: 'us-east-1',
      bucket: s3.bucket,
      prefix,
      forcePathStyle: true,
      ...S3_CREDENTIALS,
    },
  };
}
