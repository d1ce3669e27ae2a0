/**
 * GET /readyz: whether this process can serve, checked against what it depends on (the database
 * and blob storage). A balancer or kubelet probes it every few seconds, several of them at once,
 * so one probe round is shared by every request that arrives while it runs and its answer is
 * reused for a short while: S3 sees at most one HEAD per `cacheMs`, whatever the probe rate.
 * Each check has its own deadline, so a dead or black-holed backend answers 503 promptly
 * instead of hanging the probe. /healthz stays the liveness check: it asks nothing of anyone.
 */
import type { Logger } from 'pino';

export type CheckStatus = 'ok' | 'fail';

export interface CheckResult {
  status: CheckStatus;
  /** How long the check took, in milliseconds. */
  ms: number;
  /** Why it failed: a short reason, not the backend's message (which names hosts and keys). */
  error?: string;
  [detail: string]: unknown;
}

export interface ReadinessReport {
  status: CheckStatus;
  checks: Record<string, CheckResult>;
}

type Outcome = { ok: true; details: Record<string, unknown> } | { ok: false; err: unknown };

/** A check resolves (optionally with details to report) when its dependency works. */
export type Check = () => Promise<Record<string, unknown> | void>;

export interface ReadinessOptions {
  checks: Record<string, Check>;
  log: Logger;
  /** A check slower than this fails with error "timeout". */
  timeoutMs?: number;
  /** How long an answer (ok or fail) is reused. */
  cacheMs?: number;
  now?: () => number;
}

export class Readiness {
  private last: { at: number; report: ReadinessReport } | undefined;
  private running: Promise<ReadinessReport> | undefined;
  /** A check still running past its deadline: the next round waits for it rather than pile up. */
  private readonly pending = new Map<string, Promise<Outcome>>();
  private readonly states = new Map<string, CheckStatus>();
  private readonly timeoutMs: number;
  private readonly cacheMs: number;
  private readonly now: () => number;

  constructor(private readonly options: ReadinessOptions) {
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.cacheMs = options.cacheMs ?? 2000;
    this.now = options.now ?? (() => performance.now());
  }

  report(): Promise<ReadinessReport> {
    if (this.last && this.now() - this.last.at < this.cacheMs)
      return Promise.resolve(this.last.report);
    this.running ??= this.round().finally(() => (this.running = undefined));
    return this.running;
  }

  private async round(): Promise<ReadinessReport> {
    const names = Object.keys(this.options.checks);
    const results = await Promise.all(names.map((name) => this.run(name)));
    const checks = Object.fromEntries(names.map((name, i) => [name, results[i]!]));
    const status = results.every((r) => r.status === 'ok') ? 'ok' : 'fail';
    const report: ReadinessReport = { status, checks };
    this.last = { at: this.now(), report };
    return report;
  }

  private async run(name: string): Promise<CheckResult> {
    const started = this.now();
    const elapsed = (): number => Math.round(this.now() - started);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((done) => {
      timer = setTimeout(() => done('timeout'), this.timeoutMs);
    });
    const attempt: Promise<Outcome> =
      this.pending.get(name) ??
      Promise.resolve()
        .then(() => this.options.checks[name]!())
        .then(
          (details) => ({ ok: true as const, details: details ?? {} }),
          (err: unknown) => ({ ok: false as const, err }),
        );
    this.pending.set(name, attempt);
    void attempt.finally(() => {
      if (this.pending.get(name) === attempt) this.pending.delete(name);
    });
    const outcome = await Promise.race([attempt, deadline]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.changed(name, 'fail', { reason: 'timeout', timeoutMs: this.timeoutMs });
      return { status: 'fail', ms: elapsed(), error: 'timeout' };
    }
    if (!outcome.ok) {
      this.changed(name, 'fail', { err: outcome.err });
      return { status: 'fail', ms: elapsed(), error: reasonOf(outcome.err) };
    }
    this.changed(name, 'ok', {});
    return { status: 'ok', ms: elapsed(), ...outcome.details };
  }

  /** Logs a check's change of state once, not every failing probe. */
  private changed(name: string, status: CheckStatus, fields: Record<string, unknown>): void {
    const before = this.states.get(name);
    this.states.set(name, status);
    if (before === status) return;
    if (status === 'fail')
      this.options.log.warn({ check: name, ...fields }, 'readiness check failed');
    else if (before === 'fail') this.options.log.info({ check: name }, 'readiness check recovered');
  }
}

/**
 * A short, host-free reason: the innermost error code along the cause chain (ECONNREFUSED under
 * the driver's 'io'), else the SDK's error name (AccessDenied, NoSuchBucket).
 */
function reasonOf(err: unknown): string {
  let reason = 'failed';
  for (let e = err as ErrorLike | undefined, depth = 0; e && depth < 5; e = e.cause, depth++) {
    if (typeof e.code === 'string' && /^[A-Za-z_]+$/.test(e.code)) reason = e.code;
    else if (typeof e.name === 'string' && !/^(Error|StorageError)$/.test(e.name)) reason = e.name;
  }
  return reason;
}

interface ErrorLike {
  code?: unknown;
  name?: unknown;
  cause?: ErrorLike;
}
