/**
 * Sends due deliveries from the outbox: POST of the stored body with its signature, through the
 * guarded fetch (every hop, redirects too, passes the outbound policy for webhooks). A 2xx answer
 * delivers; anything else is retried with exponential back-off (`retryBaseSeconds`, doubling,
 * at most `retryMaxSeconds` apart) until `retryForHours` after the delivery was made, then the
 * delivery is `failed`. Each attempt is written back (status, error, duration).
 *
 * A worker takes a delivery by moving its due time past the attempt's timeout (a lease), claimed
 * in the repository (webhook-repository.ts): several processes over one database never send a
 * delivery twice at once, and a delivery whose process died is taken again once the lease ends.
 */
import type { Logger } from 'pino';
import { CONTENT_TYPES, signature } from './payload.js';
import type { SecretBox } from '../keys/secret-box.js';
import type { DeliveryRow, WebhookRepository } from './webhook-repository.js';
import type { AttemptEntry } from './webhook-service.js';
import type { WebhookFormat } from '../../schemas/webhooks.js';

export interface RetryRules {
  retryBaseSeconds: number;
  retryMaxSeconds: number;
  retryForHours: number;
  timeoutSeconds: number;
  historyDays: number;
}

/** Deliveries sent at a time by one process. */
const BATCH = 8;
/** The longest the worker sleeps: deliveries other processes wrote are found within this. */
const IDLE_POLL_MS = 5_000;
const MAX_LOG_ENTRIES = 50;
const MAX_ERROR_CHARS = 500;
/** How often a process removes deliveries past `historyDays`. */
const PRUNE_EVERY_MS = 3_600_000;

export class DeliveryWorker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private readonly inFlight = new AbortController();
  private prunedAt = 0;

  constructor(
    private readonly deps: {
      repository: WebhookRepository;
      secrets: SecretBox;
      fetch: typeof fetch;
      rules: RetryRules;
      clock: () => number;
      log: Logger;
    },
  ) {}

  start(): void {
    this.schedule(0);
  }

  /** Something became due now (a new event, a redelivery). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.inFlight.abort();
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.running = this.tick().finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.schedule(0);
        } else
          this.untilNextDue().then(
            (ms) => this.schedule(ms),
            (err: unknown) => {
              this.deps.log.error({ err }, 'webhook outbox unreadable');
              this.schedule(IDLE_POLL_MS);
            },
          );
      });
    }, ms);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    try {
      await this.prune();
      await this.sendDue();
    } catch (err) {
      // The database unreachable: deliveries stay pending, tried again at the next tick.
      this.deps.log.error({ err }, 'webhook deliveries not sent');
    }
  }

  private async sendDue(): Promise<void> {
    for (;;) {
      const taken = await this.take();
      if (taken.length === 0) return;
      await Promise.all(taken.map((id) => this.send(id)));
      if (this.stopped) return;
    }
  }

  /** The history is finite: finished deliveries older than `historyDays` go (pending ones stay). */
  private async prune(): Promise<void> {
    const now = this.deps.clock();
    if (now - this.prunedAt < PRUNE_EVERY_MS) return;
    this.prunedAt = now;
    const before = now - this.deps.rules.historyDays * 86_400_000;
    const removed = await this.deps.repository.prune(before);
    if (removed > 0) this.deps.log.info({ removed }, 'webhook history pruned');
  }

  /** Takes up to BATCH due deliveries under a lease; returns their ids. */
  private take(): Promise<number[]> {
    const now = this.deps.clock();
    const leaseUntil = now + (this.deps.rules.timeoutSeconds + 5) * 1000;
    return this.deps.repository.claimDue(now, leaseUntil, BATCH);
  }

  private async untilNextDue(): Promise<number> {
    const next = await this.deps.repository.nextDue();
    if (next === undefined) return IDLE_POLL_MS;
    return Math.min(IDLE_POLL_MS, Math.max(0, next - this.deps.clock()));
  }

  private async send(id: number): Promise<void> {
    const found = await this.deps.repository.deliveryWithHook(id);
    if (!found) return; // the hook was deleted meanwhile
    const { delivery, hook } = found;
    const started = this.deps.clock();
    const startedMs = performance.now();
    let statusCode: number | undefined;
    let error: string | undefined;
    try {
      const res = await this.deps.fetch(hook.url, {
        method: 'POST',
        headers: {
          'content-type': CONTENT_TYPES[hook.format as WebhookFormat],
          'user-agent': 'appshelf-webhooks/1',
          'x-appshelf-event': delivery.event,
          'x-appshelf-delivery': String(delivery.id),
          'x-appshelf-signature': signature(delivery.body, this.deps.secrets.open(hook.secret)),
        },
        body: delivery.body,
        signal: AbortSignal.any([
          this.inFlight.signal,
          AbortSignal.timeout(this.deps.rules.timeoutSeconds * 1000),
        ]),
      });
      statusCode = res.status;
      await res.body?.cancel().catch(() => undefined); // the answer's body is not read
      if (res.status < 200 || res.status > 299) error = `the receiver answered ${res.status}`;
    } catch (err) {
      error = describe(err);
    }
    if (this.stopped && error !== undefined && statusCode === undefined) {
      // Cut short by shutdown, not the receiver's fault: due again at once, for the next start.
      await this.deps.repository.release(id, this.deps.clock());
      return;
    }
    await this.record(delivery, started, performance.now() - startedMs, statusCode, error);
  }

  private async record(
    delivery: DeliveryRow,
    started: number,
    durationMs: number,
    statusCode: number | undefined,
    error: string | undefined,
  ): Promise<void> {
    const { rules, clock, repository, log } = this.deps;
    const attempts = delivery.attempts + 1;
    const entry: AttemptEntry = {
      at: new Date(started).toISOString(),
      ...(statusCode !== undefined ? { statusCode } : {}),
      ...(error !== undefined ? { error } : {}),
      durationMs: Math.round(durationMs),
    };
    const attemptLog = [...(JSON.parse(delivery.attemptLog) as AttemptEntry[]), entry].slice(
      -MAX_LOG_ENTRIES,
    );
    const now = clock();
    const wait =
      Math.min(rules.retryBaseSeconds * 2 ** (attempts - 1), rules.retryMaxSeconds) * 1000;
    const giveUp = now + wait > delivery.createdAt + rules.retryForHours * 3_600_000;
    const state = error === undefined ? 'delivered' : giveUp ? 'failed' : 'pending';
    await repository.recordAttempt(delivery.id, {
      state,
      attempts,
      statusCode: statusCode ?? null,
      error: error ?? null,
      attemptLog: JSON.stringify(attemptLog),
      lastAttemptAt: started,
      nextAttemptAt: state === 'pending' ? now + wait : null,
      deliveredAt: state === 'delivered' ? now : null,
    });
    if (state === 'failed')
      log.warn(
        { webhook: delivery.webhookId, delivery: delivery.id, attempts, error },
        'webhook delivery given up',
      );
    else if (state === 'delivered')
      log.debug(
        { webhook: delivery.webhookId, delivery: delivery.id, attempts },
        'webhook delivered',
      );
  }
}

/** fetch's TypeError says only "fetch failed"; the cause (refused address, ECONNREFUSED) says why. */
function describe(err: unknown): string {
  let text = err instanceof Error ? err.message : String(err);
  let cause = err instanceof Error ? err.cause : undefined;
  for (let depth = 0; cause instanceof Error && depth < 3; depth++) {
    text = `${text}: ${cause.message}`;
    cause = cause.cause;
  }
  if (err instanceof Error && err.name === 'TimeoutError')
    text = 'the receiver did not answer in time';
  return text.slice(0, MAX_ERROR_CHARS);
}
