/**
 * How one process holds its sync jobs when several share a database (issue 15): every
 * `heartbeatMs` it renews the heartbeat of the jobs it runs, learns which it lost (another
 * process took one over after a pause longer than `staleMs`), and claims the jobs whose owner
 * stopped heartbeating (a killed process) or that nobody owns (a stop released them). A claim
 * locks the row (`FOR UPDATE SKIP LOCKED` on PostgreSQL), so each job is handed to one process.
 */
import type { Logger } from 'pino';
import type { SyncJob, SyncJobRepository } from './sync-job-repository.js';

export interface LeaseOptions {
  /** How often the running jobs' heartbeat is renewed and stale jobs are looked for (default 5 s). */
  heartbeatMs?: number;
  /** A job whose heartbeat is older than this is taken over (default 30 s). */
  staleMs?: number;
}

export interface LeaseHolder {
  /** The ids of the jobs this process runs now. */
  running(): number[];
  /** A job is now this process's: run it. */
  claimed(job: SyncJob): void;
  /** Another process took the job over: stop running it, write nothing more. */
  lost(jobId: number): void;
}

export class JobLease {
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> | undefined;
  readonly heartbeatMs: number;
  readonly staleMs: number;

  constructor(
    private readonly jobs: SyncJobRepository,
    readonly owner: string,
    private readonly holder: LeaseHolder,
    private readonly deps: { clock: () => number; log: Logger },
    options: LeaseOptions = {},
  ) {
    this.heartbeatMs = options.heartbeatMs ?? 5_000;
    this.staleMs = options.staleMs ?? 30_000;
  }

  /** Takes the jobs no live process owns, then keeps the lease beating. */
  async start(): Promise<SyncJob[]> {
    const adopted = await this.jobs.adopt(this.owner, this.staleBefore());
    this.timer ??= setInterval(() => void this.beat(), this.heartbeatMs).unref();
    return adopted;
  }

  /** One round: renew, drop what was lost, claim what is stale (never two rounds at once). */
  beat(): Promise<void> {
    this.beating ??= this.round()
      .catch((err: unknown) => this.deps.log.warn({ err }, 'sync job heartbeat failed'))
      .finally(() => (this.beating = undefined));
    return this.beating;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.beating;
  }

  private async round(): Promise<void> {
    const mine = this.holder.running();
    const kept = new Set(await this.jobs.heartbeat(this.owner, mine));
    for (const id of mine)
      if (!kept.has(id)) {
        this.deps.log.warn(
          { job: id, owner: this.owner },
          'sync job taken over by another process',
        );
        this.holder.lost(id);
      }
    for (;;) {
      const job = await this.jobs.claim(this.owner, this.staleBefore());
      if (!job) return;
      this.deps.log.info({ job: job.id, versionId: job.versionId }, 'sync job taken over');
      this.holder.claimed(job);
    }
  }

  private staleBefore(): number {
    return this.deps.clock() - this.staleMs;
  }
}
