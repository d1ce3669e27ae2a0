/** The result table: `name | appshelf | distribution | ratio`, ratio > 1 meaning appshelf is better. */
import { median } from './http-client.js';
import type { TargetName } from './targets.js';

export interface Metric {
  id: string;
  label: string;
  unit: string;
  better: 'higher' | 'lower';
  /** The issue's target for the ratio, if it sets one. */
  target?: number;
  /** The issue's absolute upper bound for appshelf's own figure, if it sets one. */
  limit?: number;
  /** How a figure's samples (rounds, repeats) make one: the median, or the highest (memory). */
  aggregate?: 'median' | 'max';
  decimals?: number;
}

/** Every sample of every figure, per registry (rounds and repeats add samples). */
export type Results = Map<string, Partial<Record<TargetName, number[]>>>;

export function record(results: Results, id: string, target: TargetName, value: number): void {
  const samples = results.get(id) ?? {};
  (samples[target] ??= []).push(value);
  results.set(id, samples);
}

/** One figure from its samples: the median (the mean of the middle two), or the highest. */
export function aggregate(
  metric: Metric,
  samples: readonly number[] | undefined,
): number | undefined {
  if (!samples?.length) return undefined;
  return metric.aggregate === 'max' ? Math.max(...samples) : median(samples);
}

export function ratioOf(
  metric: Metric,
  a: number | undefined,
  d: number | undefined,
): number | undefined {
  if (
    a === undefined ||
    d === undefined ||
    !Number.isFinite(a) ||
    !Number.isFinite(d) ||
    a === 0 ||
    d === 0
  )
    return undefined;
  return metric.better === 'higher' ? a / d : d / a;
}

function format(value: number | undefined, decimals: number): string {
  if (value === undefined || !Number.isFinite(value)) return 'n/a';
  return value.toLocaleString('en-US', {
    minimumFractionDigits: decimals,
    maximumFractionDigits: decimals,
  });
}

/** Markdown table (valid as plain text too). */
export function renderTable(metrics: readonly Metric[], results: Results): string {
  const rows = [['name', 'appshelf', 'distribution', 'ratio', 'target']];
  for (const metric of metrics) {
    const samples = results.get(metric.id);
    if (!samples) continue;
    const values = {
      appshelf: aggregate(metric, samples.appshelf),
      distribution: aggregate(metric, samples.distribution),
    };
    const decimals = metric.decimals ?? 0;
    const ratio = ratioOf(metric, values.appshelf, values.distribution);
    const verdict =
      metric.limit !== undefined && values.appshelf !== undefined
        ? `<${metric.limit} ${values.appshelf < metric.limit ? 'met' : 'MISSED'}`
        : metric.target === undefined || ratio === undefined
          ? ''
          : `≥${metric.target}× ${ratio >= metric.target ? 'met' : 'MISSED'}`;
    rows.push([
      `${metric.label} (${metric.unit})`,
      format(values.appshelf, decimals),
      format(values.distribution, decimals),
      ratio === undefined ? 'n/a' : `${ratio.toFixed(2)}×`,
      verdict,
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string =>
    `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? `${'-'.repeat(w + 1)}-` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(rows[0]!), rule, ...rows.slice(1).map(line)].join('\n');
}
