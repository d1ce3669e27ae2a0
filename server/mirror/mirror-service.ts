/**
 * The store mirror (ARCHITECTURE.md §8): runs each `mirror.upstreams` entry on its interval
 * (counted from the end of the last run; 0: on demand only) and on demand, one run per upstream
 * at a time, and answers what each has done. Runs stop with the store; a cut-short run is closed
 * as interrupted on the next start and the next run goes on from what is held. Several processes
 * on one PostgreSQL database each schedule every upstream; a run is taken by one of them at a
 * time (MirrorState.claim), the others skip it (or answer a conflict when asked to run it).
 */
import type { Logger } from 'pino';
import type { MirrorStatus, MirrorUpstream } from '../../schemas/mirror.js';
import { StoreError } from '../errors.js';
import type { MirrorRun, MirrorState } from './mirror-state.js';
import { runMirror, type RunDeps, type RunProgress } from './mirror-run.js';

export interface MirrorServiceDeps extends RunDeps {
  upstreams: readonly MirrorUpstream[];
  state: MirrorState;
  log: Logger;
}

/** The first scheduled run waits this long after start, so the store is serving first. */
const FIRST_RUN_DELAY_MS = 5_000;

interface Running {
  done: Promise<void>;
  progress: RunProgress | null;
}

export class MirrorService {
  private readonly running = new Map<string, Running>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly stopping = new AbortController();

  constructor(private readonly deps: MirrorServiceDeps) {}

  /** Closes interrupted runs, releases apps of upstreams no longer configured, starts the schedule. */
  async start(): Promise<void> {
    const closed = await this.deps.state.closeInterrupted();
    if (closed.length > 0)
      this.deps.log.info({ upstreams: closed }, 'interrupted mirror runs closed');
    const released = await this.deps.apps.release(this.deps.upstreams.map((u) => u.name));
    if (released.length > 0)
      this.deps.log.info(
        { apps: released },
        'mirrored apps released: their upstream is no longer configured',
      );
    for (const upstream of this.deps.upstreams)
      if (upstream.intervalSeconds > 0)
        this.schedule(upstream, Math.min(FIRST_RUN_DELAY_MS, upstream.intervalSeconds * 1000));
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await Promise.allSettled([...this.running.values()].map((r) => r.done));
  }

  async status(): Promise<MirrorStatus> {
    return {
      items: await Promise.all(
        this.deps.upstreams.map(async (u) => {
          const status = await this.deps.state.status(u);
          // Read after the await: a run that started or ended meanwhile shows as it is now.
          const run = this.running.get(u.name);
          return run ? { ...status, state: 'running' as const, progress: run.progress } : status;
        }),
      ),
    };
  }

  /** Starts a run now; refused while one of the same upstream runs (here or in another process). */
  async run(name: string): Promise<void> {
    const upstream = this.deps.upstreams.find((u) => u.name === name);
    if (!upstream) throw new StoreError('not_found', `no mirror upstream "${name}"`);
    if (this.running.has(name))
      throw new StoreError('conflict', `a run of upstream "${name}" is in progress`, {
        state: 'running',
      });
    if (this.stopping.signal.aborted) throw new StoreError('unavailable', 'the store is stopping');
    if (!(await this.begin(upstream)))
      throw new StoreError('conflict', `a run of upstream "${name}" is in progress`, {
        state: 'running',
      });
  }

  /**
   * Claims the upstream's run and starts it; false when another process holds it. The entry is
   * in `running` from the first moment, so a second call here is refused while the claim waits.
   */
  private async begin(upstream: MirrorUpstream): Promise<boolean> {
    const { state } = this.deps;
    const entry: Running = { done: Promise.resolve(), progress: null };
    this.running.set(upstream.name, entry);
    const claimed = state.claim(upstream.name);
    // `stop` waits for `done`: it covers the claim too, so no run starts after a stop returned.
    entry.done = claimed.then(
      (held) => (held ? this.execute(upstream, entry, held) : this.ended(upstream, false)),
      () => this.ended(upstream, false),
    );
    return (await claimed) !== undefined;
  }

  private async execute(upstream: MirrorUpstream, entry: Running, held: MirrorRun): Promise<void> {
    const { log } = this.deps;
    log.info({ upstream: upstream.name }, 'mirror run started');
    await runMirror(this.deps, upstream, this.stopping.signal, (p) => (entry.progress = p))
      .catch(
        (err: unknown) => `the run failed: ${err instanceof Error ? err.message : String(err)}`,
      )
      .then(async (error) => {
        await held.finish(error);
        if (error) log.warn({ upstream: upstream.name, error }, 'mirror run failed');
        else log.info({ upstream: upstream.name }, 'mirror run finished');
      })
      .catch((err: unknown) => log.error({ upstream: upstream.name, err }, 'mirror run not closed'))
      .finally(() => this.ended(upstream, true));
  }

  /**
   * The upstream is free here again; the next scheduled run is set, counted from now after a run
   * (`ran`), else only when none is set (a claim another process won).
   */
  private ended(upstream: MirrorUpstream, ran: boolean): void {
    this.running.delete(upstream.name);
    if (upstream.intervalSeconds > 0 && !this.stopping.signal.aborted)
      if (ran || !this.timers.has(upstream.name))
        this.schedule(upstream, upstream.intervalSeconds * 1000);
  }

  private schedule(upstream: MirrorUpstream, delayMs: number): void {
    clearTimeout(this.timers.get(upstream.name));
    const timer = setTimeout(() => {
      this.timers.delete(upstream.name);
      if (this.running.has(upstream.name) || this.stopping.signal.aborted) return;
      // Taken elsewhere: that process runs it; this one looks again after an interval.
      this.begin(upstream).catch((err: unknown) => {
        this.deps.log.warn({ upstream: upstream.name, err }, 'mirror run not started');
      });
    }, delayMs);
    timer.unref();
    this.timers.set(upstream.name, timer);
  }
}
