/**
 * A real HTTP SMS gateway on loopback for the `webhook` SMS provider: it records every POST and
 * answers as the test tells it (a status, or no answer at all).
 */
import { once } from 'node:events';
import {
  createServer,
  type IncomingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SmsMessage {
  to: string;
  message: string;
  code: string;
}

export interface GatewayRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: SmsMessage;
  at: number;
}

/** What the gateway answers to one request: a status code, or 'hang' (never answers). */
export type GatewayAnswer = number | 'hang';

export class SmsGateway {
  readonly requests: GatewayRequest[] = [];
  /** Answers for the next requests, in order; when empty, `fallback` answers. */
  readonly script: GatewayAnswer[] = [];
  fallback: GatewayAnswer = 200;
  private readonly hanging = new Set<ServerResponse>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(path = '/sms'): Promise<SmsGateway> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const gateway = new SmsGateway(
      server,
      `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`,
    );
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: SmsMessage;
        try {
          body = JSON.parse(text) as SmsMessage;
        } catch {
          body = { to: '', message: text, code: '' };
        }
        gateway.requests.push({
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body,
          at: Date.now(),
        });
        const answer = gateway.script.length > 0 ? gateway.script.shift()! : gateway.fallback;
        if (answer === 'hang') {
          gateway.hanging.add(res);
          return;
        }
        res
          .writeHead(answer, { 'content-type': 'application/json' })
          .end(JSON.stringify({ accepted: answer < 300 }));
      });
    });
    return gateway;
  }

  /** The code in the newest message the gateway received for `to` (E.164). */
  codeFor(to: string): string {
    const found = this.requests.findLast((r) => r.body.to === to);
    if (!found) throw new Error(`the gateway got no message for ${to}`);
    return found.body.code;
  }

  /** Every code the gateway has seen. */
  codes(): string[] {
    return this.requests.map((r) => r.body.code);
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    this.server.closeAllConnections();
    await new Promise<void>((done) => this.server.close(() => done()));
  }
}
