/**
 * A raw-socket HEAD load generator. wrk 4.1 waits for a body after a HEAD response that carries
 * Content-Length, so HEAD figures come from here: keep-alive connections, one request in flight
 * on each, responses read up to the blank line (a HEAD response has no body).
 */
import { connect, type Socket } from 'node:net';
import { percentile } from './http-client.js';
import type { WrkResult } from './wrk.js';

export interface HeadLoad {
  base: string;
  headers: Record<string, string>;
  paths: readonly string[];
  connections: number;
  seconds: number;
}

export async function runHeadLoad(load: HeadLoad): Promise<WrkResult> {
  const { hostname, port } = new URL(load.base);
  const extra = Object.entries(load.headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  const requests = load.paths.map((p) =>
    Buffer.from(`HEAD ${p} HTTP/1.1\r\nHost: ${hostname}:${port}\r\n${extra}\r\n`),
  );
  const latencies: number[] = [];
  let errors = 0;
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(Math.round(load.seconds * 1e9));

  const connection = (offset: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const socket: Socket = connect(Number(port), hostname);
      socket.setNoDelay(true);
      let i = offset;
      let pending = '';
      let sentAt = 0n;
      const sendNext = (): void => {
        if (process.hrtime.bigint() >= deadline) {
          socket.end();
          return resolve();
        }
        sentAt = process.hrtime.bigint();
        socket.write(requests[i++ % requests.length]!);
      };
      socket.on('connect', sendNext);
      socket.on('data', (chunk: Buffer) => {
        pending += chunk.toString('latin1');
        for (let end = pending.indexOf('\r\n\r\n'); end !== -1; end = pending.indexOf('\r\n\r\n')) {
          const status = Number(pending.slice(9, 12));
          if (status < 200 || status >= 400) errors++;
          latencies.push(Number(process.hrtime.bigint() - sentAt) / 1e6);
          pending = pending.slice(end + 4);
          sendNext();
        }
      });
      socket.on('error', reject);
    });

  await Promise.all(
    Array.from({ length: load.connections }, (_, c) =>
      connection(Math.floor((c * requests.length) / load.connections)),
    ),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return {
    requests: latencies.length,
    seconds,
    rate: latencies.length / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    errors,
  };
}
