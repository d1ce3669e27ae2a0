/**
 * A webhook receiver for tests: a real HTTP listener on a free loopback port that records every
 * request and answers from a script (`answer`: the status of each next request, 200 after).
 */
import { once } from 'node:events';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export class Receiver {
  readonly received: Received[] = [];
  private script: number[] = [];
  private redirectTo: string | undefined;
  private waiters: (() => void)[] = [];
  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly port: number,
  ) {}

  static async start(): Promise<Receiver> {
    const ref: { self?: Receiver } = {};
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const r = ref.self!;
        r.received.push({
          path: req.url ?? '/',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        if (r.redirectTo) res.writeHead(307, { location: r.redirectTo }).end();
        else res.writeHead(r.script.shift() ?? 200).end('ok');
        for (const wake of r.waiters.splice(0)) wake();
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    ref.self = new Receiver(server, `http://127.0.0.1:${port}/hook`, port);
    return ref.self;
  }

  /** The statuses of the next requests, in order (200 once the script runs out). */
  answer(...statuses: number[]): void {
    this.script = statuses;
  }

  /** Answers every request with a 307 to `url`. */
  redirect(url: string | undefined): void {
    this.redirectTo = url;
  }

  /** Resolves with the received requests once `count` of them match (10 s at most). */
  async waitFor(match: (r: Received) => boolean, count = 1): Promise<Received[]> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const found = this.received.filter(match);
      if (found.length >= count) return found;
      if (Date.now() > deadline)
        throw new Error(
          `expected ${count} matching requests, got ${found.length} of ${this.received.length}`,
        );
      await new Promise<void>((wake) => {
        this.waiters.push(wake);
        setTimeout(wake, 200).unref();
      });
    }
  }

  clear(): void {
    this.received.length = 0;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((done) => this.server.close(() => done()));
  }
}

/** What a receiver computes to check X-Appshelf-Signature. */
export function expectedSignature(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}
