/**
 * A `fetch` for requests made on a user's behalf: undici's fetch over an Agent whose connector
 * asks the OutboundPolicy first and then connects to the very address it checked (TLS still
 * verifies the certificate for the name). Every hop goes through it — the registry, its token
 * realm, each redirect — so every hop is checked. A connect timeout covers DNS, TCP and TLS; an
 * idle timeout ends a request whose peer sends no headers, or no byte of body, for too long.
 */
import './builtin-fetch-first.js';
import { isIP } from 'node:net';
import { Agent, buildConnector, fetch as undiciFetch } from 'undici';
import type { OutboundPolicy } from './outbound-guard.js';

export interface OutboundTimeouts {
  /** DNS, TCP and TLS together (default 10 s). */
  connectTimeoutMs?: number;
  /** No response headers, or no byte of body, for this long (default 60 s). */
  idleTimeoutMs?: number;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;

/** A connector that refuses what the policy refuses, before any socket exists. */
export function guardedConnector(
  policy: OutboundPolicy,
  connectTimeoutMs = DEFAULT_CONNECT_TIMEOUT_MS,
): buildConnector.connector {
  const connect = buildConnector({ timeout: connectTimeoutMs });
  return (options, callback) => {
    const port = Number(options.port) || (options.protocol === 'https:' ? 443 : 80);
    const checked = withTimeout(policy.check(options.hostname, port), connectTimeoutMs, () => {
      const err = new Error(`connect timeout: ${options.hostname} did not resolve in time`);
      return Object.assign(err, { code: 'UND_ERR_CONNECT_TIMEOUT' });
    });
    checked.then(
      (address) => {
        const servername =
          options.servername ?? (isIP(options.hostname) ? undefined : options.hostname);
        connect({ ...options, hostname: address, ...(servername ? { servername } : {}) }, callback);
      },
      (err: unknown) => callback(err instanceof Error ? err : new Error(String(err)), null),
    );
  };
}

/** The guarded fetch; `close()` on the returned dispatcher ends its kept-alive connections. */
export function createOutboundFetch(
  policy: OutboundPolicy,
  timeouts: OutboundTimeouts = {},
): typeof fetch & { dispatcher: Agent } {
  const idle = timeouts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const dispatcher = new Agent({
    connect: guardedConnector(policy, timeouts.connectTimeoutMs),
    headersTimeout: idle,
    bodyTimeout: idle,
  });
  const guarded = (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> =>
    // undici's own fetch, the one that takes this Agent: its Response is not the global class,
    // but has the same interface, which is all the client uses.
    undiciFetch(input as never, {
      ...(init as object),
      dispatcher,
    }) as unknown as Promise<Response>;
  return Object.assign(guarded, { dispatcher });
}

function withTimeout<T>(work: Promise<T>, ms: number, error: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(error()), ms);
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}
