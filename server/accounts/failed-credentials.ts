/**
 * Failed credentials, counted per client address and per user name across the four doors that
 * check them: the registry's token endpoint, the store API, the Rainstore API, and phone login. Once an address or a
 * name has used up its failures in a window, every attempt from it or for it is refused (429,
 * Retry-After) until the window ends, the right credentials included: were they let through, a
 * guesser would still learn which guess was right.
 */
import { isIPv6 } from 'node:net';
import type { Logger } from 'pino';
import type { Config } from '../../schemas/config.js';
import type { AuditEntry, AuditLog } from './audit-log.js';
import { inMemoryLimiters, type Limiter, type LimiterFactory } from './rate-limiter.js';

export type Door = 'token' | 'api' | 'login' | 'rainstore';

export interface Attempt {
  door: Door;
  address: string;
  /** Whose credentials they claim to be (a user name; at login, the phone), when known. */
  name?: string | undefined;
  /** How the audit trail names the caller (a masked phone at login); the name by default. */
  actor?: string | undefined;
}

export interface Refusal {
  by: 'address' | 'name';
  retryAfterSeconds: number;
}

export class FailedCredentials {
  private readonly byAddress: Limiter | undefined;
  private readonly byName: Limiter | undefined;

  constructor(
    private readonly deps: {
      limits: Config['auth']['rateLimit'];
      audit: AuditLog;
      log: Logger;
      clock: () => number;
      /** Where the counts live: in memory by default, shared by the processes on PostgreSQL. */
      limiters?: LimiterFactory;
    },
  ) {
    const { limits, clock } = deps;
    const limiters = deps.limiters ?? inMemoryLimiters(clock);
    const windowMs = limits.windowSeconds * 1000;
    if (limits.failuresPerAddress > 0)
      this.byAddress = limiters('failures.address', limits.failuresPerAddress, windowMs);
    if (limits.failuresPerName > 0)
      this.byName = limiters('failures.name', limits.failuresPerName, windowMs);
  }

  /**
   * Whether the attempt is refused before its credentials are checked. The first refusal of an
   * address or name in a window is audited (and logged) with the time it lasts until; the retries
   * that follow are not, so a flood of them cannot flood the audit trail.
   */
  refusal(attempt: Attempt): Refusal | undefined {
    const address = addressKey(attempt.address);
    const name = nameKey(attempt.name);
    let by: Refusal['by'] | undefined;
    let limiter: Limiter | undefined;
    let key = '';
    if (this.byAddress?.exhausted(address))
      [by, limiter, key] = ['address', this.byAddress, address];
    else if (name !== undefined && this.byName?.exhausted(name))
      [by, limiter, key] = ['name', this.byName, name];
    if (!by || !limiter) return undefined;
    const retryAfterSeconds = limiter.retryAfter(key);
    const first = limiter.firstTime(key);
    if (first === true) this.reportRefusal(attempt, by, retryAfterSeconds);
    else if (first !== false)
      void first.then((yes) => yes && this.reportRefusal(attempt, by, retryAfterSeconds));
    return { by, retryAfterSeconds };
  }

  private reportRefusal(attempt: Attempt, by: Refusal['by'], retryAfterSeconds: number): void {
    const until = new Date(this.deps.clock() + retryAfterSeconds * 1000).toISOString();
    const actor = this.actorOf(attempt);
    this.audit({
      actor,
      action: 'auth.rate_limited',
      address: attempt.address,
      detail: { via: attempt.door, by, until },
    });
    this.deps.log.warn(
      { door: attempt.door, by, address: attempt.address, actor, until },
      'failed credentials: refusing until the window ends',
    );
  }

  /** Counts a failed attempt against its address and its name, and audits it (`<door>.failed`). */
  failed(attempt: Attempt, reason: string): void {
    this.byAddress?.count(addressKey(attempt.address));
    const name = nameKey(attempt.name);
    if (name !== undefined) this.byName?.count(name);
    this.audit({
      actor: this.actorOf(attempt),
      action: `${attempt.door}.failed`,
      address: attempt.address,
      detail: { reason },
    });
  }

  /**
   * Appends to the audit trail without holding up the answer to the request (a refusal or a
   * failure is answered at once; these callers are synchronous). On PostgreSQL the write is a
   * promise: a failed one is logged, never left unhandled.
   */
  private audit(entry: AuditEntry): void {
    const written = this.deps.audit.record(entry);
    if (written)
      written.catch((err: unknown) =>
        this.deps.log.error({ err, action: entry.action }, 'failed credentials: not audited'),
      );
  }

  private actorOf(attempt: Attempt): string {
    return (attempt.actor ?? attempt.name ?? 'anonymous').slice(0, 64) || 'anonymous';
  }
}

function nameKey(name: string | undefined): string | undefined {
  return name ? name.toLowerCase().slice(0, 128) : undefined;
}

/** One host usually holds a whole IPv6 /64, so it counts as one address; IPv4-mapped as IPv4. */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped) return mapped[1]!;
  const bare = address.replace(/%.*$/, ''); // a zone index (fe80::1%eth0)
  if (!isIPv6(bare)) return address;
  const [head = '', tail] = bare.split('::');
  const front = head ? head.split(':') : [];
  const back = tail ? tail.split(':') : [];
  const groups =
    tail === undefined
      ? front
      : [...front, ...Array<string>(8 - front.length - back.length).fill('0'), ...back];
  return `${groups
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}
