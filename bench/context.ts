/** What every scenario gets: the target, its client agent, its ledger, the options, results. */
import type { Agent } from 'node:http';
import type { Ledger } from './ledger.js';
import type { BenchOptions } from './options.js';
import { record, type Results } from './report.js';
import type { Target } from './targets.js';

export interface ScenarioContext {
  target: Target;
  agent: Agent;
  ledger: Ledger;
  opts: BenchOptions;
  scratch: string;
  results: Results;
  /** The scenario's round (0, 1, ...): names written in a round must not repeat earlier ones. */
  round: number;
  /** Digests pushed by earlier scenarios, reused by later ones (pull, mount). */
  state: { largeDigests: string[]; smallDigests: string[] };
  log(message: string): void;
}

export function put(ctx: ScenarioContext, metricId: string, value: number): void {
  record(ctx.results, metricId, ctx.target.name, value);
}

export const url = (ctx: ScenarioContext, path: string): URL => new URL(path, ctx.target.base);
