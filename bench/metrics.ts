/** The figures in the result table, in print order, with the targets. */
import type { Metric } from './report.js';

export const METRICS: readonly Metric[] = [
  { id: 'large-push', label: 'large blob push, monolithic POST+PUT', unit: 'MiB/s', better: 'higher', target: 1.1 },
  { id: 'large-push-chunked', label: 'large blob push, chunked PATCH', unit: 'MiB/s', better: 'higher', target: 1.1 },
  { id: 'large-pull', label: 'large blob pull', unit: 'MiB/s', better: 'higher', target: 1.1 },
  { id: 'small-push', label: 'small blob push, POST+PUT', unit: 'blobs/s', better: 'higher', target: 2 },
  { id: 'small-push-p99', label: 'small blob push p99', unit: 'ms', better: 'lower', decimals: 2 },
  { id: 'small-pull', label: 'small blob pull GET', unit: 'req/s', better: 'higher', target: 2 },
  { id: 'small-pull-p99', label: 'small blob pull p99', unit: 'ms', better: 'lower', decimals: 2 },
  { id: 'mount', label: 'cross-repository mount', unit: 'req/s', better: 'higher', target: 2 },
  { id: 'manifest-put', label: 'manifest PUT', unit: 'req/s', better: 'higher', target: 2 },
  { id: 'manifest-put-p99', label: 'manifest PUT p99', unit: 'ms', better: 'lower', decimals: 2 },
  { id: 'manifest-get', label: 'manifest GET by tag', unit: 'req/s', better: 'higher', target: 2 },
  { id: 'manifest-get-p99', label: 'manifest GET by tag p99', unit: 'ms', better: 'lower', decimals: 2 },
  { id: 'manifest-head', label: 'manifest HEAD by tag', unit: 'req/s', better: 'higher', target: 2 },
  { id: 'manifest-head-p99', label: 'manifest HEAD by tag p99', unit: 'ms', better: 'lower', decimals: 2 },
  { id: 'tags-list', label: 'tags list', unit: 'req/s', better: 'higher', target: 2 },
  { id: 'tags-list-p99', label: 'tags list p99', unit: 'ms', better: 'lower', decimals: 2 },
  { id: 'catalog', label: '_catalog', unit: 'req/s', better: 'higher', target: 2 },
  { id: 'catalog-p99', label: '_catalog p99', unit: 'ms', better: 'lower', decimals: 2 },
  { id: 'cpu-per-gib', label: 'registry CPU per GiB moved', unit: 's', better: 'lower', decimals: 2 },
  { id: 'cpu-per-1000', label: 'registry CPU per 1000 requests', unit: 's', better: 'lower', decimals: 3 },
  { id: 'huge-push', label: 'huge blob push (memory run)', unit: 'MiB/s', better: 'higher' },
  { id: 'huge-pull', label: 'huge blob pull (memory run)', unit: 'MiB/s', better: 'higher' },
  { id: 'huge-peak-rss', label: 'peak RSS over huge push + pull', unit: 'MB', better: 'lower' },
];
