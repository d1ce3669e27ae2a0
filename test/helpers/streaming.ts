/** Large request bodies for tests: generated blobs that are never held whole, sent with backpressure. */
import { createHash, randomBytes } from 'node:crypto';
import { request, type IncomingHttpHeaders } from 'node:http';

const MiB = 1024 * 1024;

/** A large blob as a generator of 1 MiB chunks: never held in memory whole. */
export class GeneratedBlob {
  private readonly base = randomBytes(MiB);
  readonly digest: string;
  constructor(readonly size: number) {
    const hash = createHash('sha256');
    for (const chunk of this.chunks()) hash.update(chunk);
    this.digest = `sha256:${hash.digest('hex')}`;
  }
  *chunks(from = 0, to = this.size): Generator<Buffer> {
    for (let offset = from; offset < to;) {
      const index = Math.floor(offset / MiB);
      const block = Buffer.from(this.base);
      block.writeUInt32BE(index, 0);
      const start = offset - index * MiB;
      const end = Math.min(MiB, to - index * MiB);
      yield block.subarray(start, end);
      offset += end - start;
    }
  }
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Streams `body` with backpressure; stops writing (without ending) after `stopAfter` bytes. */
export function send(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string | number>,
  body: Iterable<Buffer>,
  stopAfter = Infinity,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(base);
    const req = request({ hostname, port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    req.on('error', reject);
    void (async () => {
      let sent = 0;
      for (const chunk of body) {
        if (sent >= stopAfter || req.destroyed) return;
        sent += chunk.length;
        if (!req.write(chunk)) {
          await new Promise<void>((resolve) => {
            const go = (): void => {
              req.off('drain', go).off('close', go);
              resolve();
            };
            req.on('drain', go).on('close', go);
          });
        }
      }
      req.end();
    })();
  });
}
