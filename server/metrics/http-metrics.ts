/**
 * Request metrics of the main listener: requests by route family, method and status, their
 * latency, and the bytes read and written per family.
 *
 * These are counted on every request, blob and manifest GETs included, so they are plain numbers
 * in arrays found by index, rendered as text at scrape time. prom-client's `inc`/`observe` (even
 * on a child from `labels()`) builds a label hash string and a closure on every call: measured
 * at ~150× the cost of these additions. The rest of /metrics goes through prom-client.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { V2Family } from '../../registry/index.js';

/** Families outside /v2 (see `familyOfPath`). */
type StoreFamily = 'token' | 'api' | 'app_server' | 'web' | 'health' | 'metrics';
export type HttpFamily = V2Family | StoreFamily;

const FAMILIES: readonly HttpFamily[] = [
  'v2',
  'catalog',
  'manifests',
  'blobs',
  'uploads',
  'tags',
  'referrers',
  'v2_unknown',
  'token',
  'api',
  'app_server',
  'web',
  'health',
  'metrics',
];
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'other'] as const;
const FAMILY_INDEX = new Map(FAMILIES.map((f, i) => [f, i]));
const METHOD_INDEX = new Map<string, number>(METHODS.map((m, i) => [m, i]));
const OTHER_METHOD = METHODS.length - 1;

/** Upper bounds (seconds): sub-millisecond manifest reads up to multi-minute blob uploads. */
const BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300,
];

/** One family and method: request counts by status, and the latency histogram. */
interface Cell {
  statuses: Map<number, number>;
  /** Per bucket (the last one: above every bound), not cumulative. */
  buckets: Float64Array;
  sum: number;
  count: number;
}

/** The connection's byte counters as last accounted for, so each request adds only its own. */
const READ = Symbol('bytesReadCounted');
const WRITTEN = Symbol('bytesWrittenCounted');
interface CountedSocket extends Socket {
  [READ]?: number;
  [WRITTEN]?: number;
}

export class HttpMetrics {
  private readonly cells: (Cell | undefined)[] = [];
  private readonly received = new Float64Array(FAMILIES.length);
  private readonly sent = new Float64Array(FAMILIES.length);

  /**
   * Counts a finished request. Bytes are what its connection read and wrote since the previous
   * request on it finished: the request's and response's headers and bodies, as on the wire.
   */
  observe(family: HttpFamily, req: IncomingMessage, res: ServerResponse, startedAt: number): void {
    const seconds = (performance.now() - startedAt) / 1000;
    const f = FAMILY_INDEX.get(family) ?? 0;
    const m = METHOD_INDEX.get(req.method ?? '') ?? OTHER_METHOD;
    const at = f * METHODS.length + m;
    const cell = (this.cells[at] ??= {
      statuses: new Map(),
      buckets: new Float64Array(BUCKETS.length + 1),
      sum: 0,
      count: 0,
    });
    const status = res.statusCode;
    cell.statuses.set(status, (cell.statuses.get(status) ?? 0) + 1);
    let b = 0;
    while (b < BUCKETS.length && seconds > BUCKETS[b]!) b++;
    cell.buckets[b]!++;
    cell.sum += seconds;
    cell.count++;

    const socket = req.socket as CountedSocket;
    const read = socket.bytesRead;
    // undefined once the socket's write state is gone (it was destroyed): nothing more to add.
    const written = socket.bytesWritten as number | undefined;
    this.received[f]! += read - (socket[READ] ?? 0);
    socket[READ] = read;
    if (written !== undefined) {
      this.sent[f]! += written - (socket[WRITTEN] ?? 0);
      socket[WRITTEN] = written;
    }
  }

  /** The figures in the Prometheus text format (0.0.4). */
  render(): string {
    const requests: string[] = [];
    const latency: string[] = [];
    const received: string[] = [];
    const sent: string[] = [];
    const seen = new Set<number>();
    for (const [at, cell] of this.cells.entries()) {
      if (!cell) continue;
      const f = Math.floor(at / METHODS.length);
      seen.add(f);
      const family = FAMILIES[f]!;
      const labels = `family="${family}",method="${METHODS[at % METHODS.length]!}"`;
      for (const [status, n] of [...cell.statuses].sort((a, b) => a[0] - b[0]))
        requests.push(`appshelf_http_requests_total{${labels},status="${status}"} ${n}`);
      let cumulative = 0;
      for (const [b, bound] of BUCKETS.entries()) {
        cumulative += cell.buckets[b]!;
        latency.push(
          `appshelf_http_request_duration_seconds_bucket{${labels},le="${bound}"} ${cumulative}`,
        );
      }
      latency.push(
        `appshelf_http_request_duration_seconds_bucket{${labels},le="+Inf"} ${cell.count}`,
        `appshelf_http_request_duration_seconds_sum{${labels}} ${cell.sum}`,
        `appshelf_http_request_duration_seconds_count{${labels}} ${cell.count}`,
      );
    }
    for (const f of [...seen].sort((a, b) => a - b)) {
      const family = FAMILIES[f]!;
      received.push(`appshelf_http_received_bytes_total{family="${family}"} ${this.received[f]!}`);
      sent.push(`appshelf_http_sent_bytes_total{family="${family}"} ${this.sent[f]!}`);
    }
    return [
      metricFamily(
        'appshelf_http_requests_total',
        'counter',
        'HTTP requests answered, by route family, method and status.',
        requests,
      ),
      metricFamily(
        'appshelf_http_request_duration_seconds',
        'histogram',
        'Time from a request coming in to its response handed to the connection (or its failure).',
        latency,
      ),
      metricFamily(
        'appshelf_http_received_bytes_total',
        'counter',
        'Bytes read from connections for requests of the family, headers included.',
        received,
      ),
      metricFamily(
        'appshelf_http_sent_bytes_total',
        'counter',
        'Bytes written to connections for responses of the family, headers included.',
        sent,
      ),
    ].join('');
  }
}

function metricFamily(name: string, type: string, help: string, samples: string[]): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${samples.map((s) => `${s}\n`).join('')}`;
}

/** The family of a request outside /v2 (the registry reports the families of /v2 itself). */
export function familyOfPath(url: string): StoreFamily {
  if (url.startsWith('/api/')) return 'api';
  if (url.startsWith('/app-server')) return 'app_server';
  if (url.startsWith('/v2/token')) return 'token';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  if (path === '/healthz' || path === '/readyz') return 'health';
  if (path === '/metrics') return 'metrics';
  return 'web';
}
