/**
 * One TCP connection to a test server, written byte by byte: for tests that need to control
 * timing (a slow or stalled body) or watch what the server does with the connection itself
 * (answers early, closes it, keeps it open).
 */
import { connect, type Socket } from 'node:net';

export interface RawResponse {
  status: number;
  /** Lower-case header names. */
  headers: Record<string, string>;
  body: Buffer;
  /** The OCI or store error code of a JSON error body, if any. */
  code: string | undefined;
}

/** How the server left the connection: `end` is a clean FIN, `error` a reset. */
export interface ConnectionEnd {
  how: 'end' | 'error';
  at: number;
}

export class RawConnection {
  private received = Buffer.alloc(0);
  private wake: (() => void) | undefined;
  /** Settles when the server ends (FIN) or resets the connection; `at` is Date.now() then. */
  readonly ended: Promise<ConnectionEnd>;

  private constructor(
    private readonly socket: Socket,
    readonly hostHeader: string,
  ) {
    this.ended = new Promise((resolve) => {
      socket.once('end', () => resolve({ how: 'end', at: Date.now() }));
      socket.once('error', () => resolve({ how: 'error', at: Date.now() }));
      socket.once('close', () => resolve({ how: 'end', at: Date.now() }));
    });
    socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      this.wake?.();
    });
    socket.on('close', () => this.wake?.());
  }

  static async open(base: string): Promise<RawConnection> {
    const { hostname, port } = new URL(base);
    const socket = connect(Number(port), hostname);
    await new Promise<void>((resolve, reject) =>
      socket.once('connect', resolve).once('error', reject),
    );
    socket.on('error', () => undefined); // a reset is reported through `ended`
    return new RawConnection(socket, `${hostname}:${port}`);
  }

  /** Writes the request line and headers (Host added). */
  head(method: string, path: string, headers: Record<string, string | number>): void {
    const lines = [`${method} ${path} HTTP/1.1`, `Host: ${this.hostHeader}`];
    for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
    this.write(`${lines.join('\r\n')}\r\n\r\n`);
  }

  /** Writes one chunk of a `Transfer-Encoding: chunked` body (an empty one ends the body). */
  chunk(data: Buffer): void {
    this.write(
      Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from('\r\n')]),
    );
  }

  write(data: string | Buffer): boolean {
    if (this.socket.destroyed || !this.socket.writable) return false;
    return this.socket.write(data);
  }

  get destroyed(): boolean {
    return this.socket.destroyed;
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** The next response on the connection (its body by Content-Length); rejects after `timeoutMs`. */
  async response(timeoutMs = 10_000): Promise<RawResponse> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const parsed = this.parse();
      if (parsed) return parsed;
      if (this.socket.destroyed || this.socket.readableEnded)
        throw new Error('connection closed before a whole response arrived');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no response within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  private parse(): RawResponse | undefined {
    const end = this.received.indexOf('\r\n\r\n');
    if (end === -1) return undefined;
    const [statusLine = '', ...lines] = this.received
      .subarray(0, end)
      .toString('latin1')
      .split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    if (this.received.length < end + 4 + length) return undefined;
    const body = this.received.subarray(end + 4, end + 4 + length);
    this.received = this.received.subarray(end + 4 + length);
    let code: string | undefined;
    if (headers['content-type']?.startsWith('application/json') && body.length > 0) {
      const json = JSON.parse(body.toString('utf8')) as {
        errors?: { code: string }[];
        error?: { code: string };
      };
      code = json.errors?.[0]?.code ?? json.error?.code;
    }
    return { status: Number(statusLine.split(' ')[1]), headers, body, code };
  }
}

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it holds; throws after `timeoutMs`. */
export async function until(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
