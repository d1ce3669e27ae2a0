/** What a registry process spent (CPU seconds) on measured work: bytes moved and requests served. */
import { cpuSeconds } from './proc-stats.js';
import type { Target } from './targets.js';

export interface Phase {
  name: string;
  cpu: number;
  requests: number;
  bytes: number;
  seconds: number;
}

export class Ledger {
  readonly phases: Phase[] = [];

  constructor(private readonly target: Target) {}

  /** Runs `fn`, charging the registry's CPU time over it to `name`. `fn` returns what it moved. */
  async measure<T extends { requests?: number; bytes?: number }>(
    name: string,
    fn: () => Promise<T>,
  ): Promise<T & { seconds: number }> {
    const cpu0 = cpuSeconds(this.target.pid);
    const t0 = process.hrtime.bigint();
    const result = await fn();
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = cpuSeconds(this.target.pid) - cpu0;
    this.phases.push({
      name,
      cpu,
      requests: result.requests ?? 0,
      bytes: result.bytes ?? 0,
      seconds,
    });
    return { ...result, seconds };
  }

  /** CPU seconds per GiB over the byte-moving phases. */
  cpuPerGiB(): number {
    const phases = this.phases.filter((p) => p.bytes > 0);
    const bytes = phases.reduce((s, p) => s + p.bytes, 0);
    return bytes ? phases.reduce((s, p) => s + p.cpu, 0) / (bytes / 2 ** 30) : NaN;
  }

  /** CPU seconds per 1000 requests over the request-rate phases (blob bytes excluded). */
  cpuPer1000Requests(): number {
    const phases = this.phases.filter((p) => p.bytes === 0 && p.requests > 0);
    const requests = phases.reduce((s, p) => s + p.requests, 0);
    return requests ? (phases.reduce((s, p) => s + p.cpu, 0) / requests) * 1000 : NaN;
  }
}
