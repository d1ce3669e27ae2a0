/**
 * Rate limits shared by the processes of a store on PostgreSQL (issue 15 §2): a limit set for an
 * address or a user name holds whichever process the balancer picks. The counters are rows of
 * `rate_limit_counters`, counted by one `INSERT … ON CONFLICT DO UPDATE … RETURNING` each, so two
 * processes never lose an increment. The doors ask synchronously (they did before, and a refusal
 * must cost no database round trip), so each process keeps the in-memory limiter as its view:
 * its own events count there at once, the shared count comes back with each increment, and the
 * process whose increment exhausts a key tells the others by NOTIFY. A process starting reads the
 * keys exhausted in their current window. What another process counted reaches this one within
 * a round trip: the limit can be passed by the requests in flight at that moment, not more.
 *
 * SQLite (one process) keeps the in-memory limiter alone: no query on its login path.
 */
import type { Logger } from 'pino';
import type { StoreDatabase } from '../db/store-database.js';
import { notificationsOf, type Notifications } from '../db/notifications.js';
import {
  inMemoryLimiters,
  RateLimiter,
  type Limiter,
  type LimiterFactory,
} from './rate-limiter.js';
import type pg from 'pg';

const CHANNEL = 'appshelf_rate_limit';
/** Every this many increments, a limiter deletes its counters whose window has ended. */
const PRUNE_EVERY = 500;

const COUNT = `INSERT INTO rate_limit_counters (scope, key, window_start, count)
  VALUES ($1, $2, $3, 1)
  ON CONFLICT (scope, key) DO UPDATE SET
    count = CASE WHEN rate_limit_counters.window_start <= $4 THEN 1
                 ELSE rate_limit_counters.count + 1 END,
    flagged = rate_limit_counters.flagged AND rate_limit_counters.window_start > $4,
    window_start = CASE WHEN rate_limit_counters.window_start <= $4 THEN excluded.window_start
                        ELSE rate_limit_counters.window_start END
  RETURNING count, window_start::float8 AS start`;
const FLAG = `UPDATE rate_limit_counters SET flagged = true
  WHERE scope = $1 AND key = $2 AND window_start > $3 AND NOT flagged RETURNING 1`;
const EXHAUSTED = `SELECT key, count, window_start::float8 AS start FROM rate_limit_counters
  WHERE scope = $1 AND window_start > $2 AND count >= $3`;
const PRUNE = `DELETE FROM rate_limit_counters WHERE scope = $1 AND window_start <= $2`;

interface Exhausted {
  scope: string;
  key: string;
  start: number;
  count: number;
}

/** Limiters for `store`: shared on PostgreSQL, in memory on SQLite. */
export function storeLimiters(
  store: StoreDatabase,
  clock: () => number,
  log: Logger,
): LimiterFactory {
  if (store.dialect === 'sqlite') return inMemoryLimiters(clock);
  const notifications = notificationsOf(store);
  return (scope, limit, windowMs) =>
    new SharedLimiter(store.pool, notifications, scope, limit, windowMs, clock, log);
}

export class SharedLimiter implements Limiter {
  private readonly local: RateLimiter;
  private increments = 0;
  /** Settles once the process has read the keys exhausted before it started, and listens. */
  readonly ready: Promise<void>;

  constructor(
    private readonly pool: pg.Pool,
    private readonly notifications: Notifications,
    private readonly scope: string,
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly clock: () => number,
    private readonly log: Logger,
  ) {
    this.local = new RateLimiter(limit, windowMs, clock);
    this.ready = notifications
      .listen(CHANNEL, (payload) => this.heard(payload))
      .then(() => this.reload())
      .catch((err: unknown) => this.failed(err));
  }

  take(key: string): boolean {
    return this.count(key) <= this.limit;
  }

  count(key: string): number {
    const counted = this.local.count(key);
    void this.share(key);
    return counted;
  }

  exhausted(key: string): boolean {
    return this.local.exhausted(key);
  }

  /** True in one process of the store per window (the row's `flagged`, set once). */
  firstTime(key: string): boolean | Promise<boolean> {
    if (!this.local.firstTime(key)) return false;
    return this.pool
      .query(FLAG, [this.scope, key, this.clock() - this.windowMs])
      .then((result) => (result.rowCount ?? 0) > 0)
      .catch((err: unknown) => {
        this.failed(err);
        return true; // audited twice rather than not at all
      });
  }

  retryAfter(key: string): number {
    return this.local.retryAfter(key);
  }

  /** Counts one event for `key` in the database and takes back what every process counted. */
  private async share(key: string): Promise<void> {
    const now = this.clock();
    try {
      const result = await this.pool.query<{ count: number; start: number }>(COUNT, [
        this.scope,
        key,
        now,
        now - this.windowMs,
      ]);
      const row = result.rows[0]!;
      this.local.raise(key, row.start, row.count);
      if (row.count === this.limit) {
        const message: Exhausted = { scope: this.scope, key, start: row.start, count: row.count };
        await this.notifications.notify(CHANNEL, JSON.stringify(message));
      }
      if (++this.increments % PRUNE_EVERY === 0)
        await this.pool.query(PRUNE, [this.scope, this.clock() - this.windowMs]);
    } catch (err) {
      this.failed(err);
    }
  }

  private heard(payload: string | undefined): void {
    if (payload === undefined) {
      void this.reload().catch((err: unknown) => this.failed(err));
      return;
    }
    let message: Partial<Exhausted>;
    try {
      message = JSON.parse(payload) as Partial<Exhausted>;
    } catch {
      return;
    }
    if (
      message.scope !== this.scope ||
      typeof message.key !== 'string' ||
      typeof message.start !== 'number' ||
      typeof message.count !== 'number'
    )
      return;
    this.local.raise(message.key, message.start, message.count);
  }

  private async reload(): Promise<void> {
    const result = await this.pool.query<{ key: string; count: number; start: number }>(EXHAUSTED, [
      this.scope,
      this.clock() - this.windowMs,
      this.limit,
    ]);
    for (const row of result.rows) this.local.raise(row.key, row.start, row.count);
  }

  /** The database is unreachable: the process goes on with what it counted itself. */
  private failed(err: unknown): void {
    this.log.warn(
      { scope: this.scope, err: (err as Error).message },
      'rate limit: the shared counters are unreachable; counting in this process',
    );
  }
}
