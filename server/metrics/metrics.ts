/**
 * GET /metrics: the store's figures in the Prometheus text format. Served by the main listener,
 * or, with `metrics.listen`, by a listener of its own (see main.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { RegistryObserver } from '../../registry/index.js';
import { HttpMetrics } from './http-metrics.js';
import { StoreMetrics, type StoreSources } from './store-metrics.js';

export class Metrics {
  readonly http = new HttpMetrics();
  private readonly register = new Registry();
  private readonly store: StoreMetrics;

  constructor(
    sources: StoreSources,
    private readonly log: Logger,
  ) {
    this.store = new StoreMetrics(sources, this.register);
    processRegister(); // from now on: the event-loop and GC figures count from the start
  }

  /** What the registry reports to: its requests and GC runs. */
  readonly observer: RegistryObserver = {
    requestFinished: (family, req, res, startedAt) =>
      this.http.observe(family, req, res, startedAt),
    gcFinished: (dryRun, report) => this.store.gcFinished(dryRun, report),
  };

  readonly searched = (seconds: number, cached: boolean): void =>
    this.store.searched(seconds, cached);

  /** The whole scrape: process, store, then request figures. */
  async render(): Promise<string> {
    await this.store.refresh();
    const [process, store] = await Promise.all([
      processRegister().metrics(),
      this.register.metrics(),
    ]);
    return process + store + this.http.render();
  }

  /** Answers GET (and HEAD) /metrics. */
  readonly serve = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Length': 0 }).end();
      return;
    }
    this.render().then(
      (text) => {
        const body = Buffer.from(text);
        res.writeHead(200, {
          'Content-Type': Registry.PROMETHEUS_CONTENT_TYPE,
          'Content-Length': body.length,
          'Cache-Control': 'no-store',
        });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (err: unknown) => {
        this.log.error({ err }, 'metrics scrape failed');
        res.writeHead(500, { 'Content-Type': 'text/plain' }).end('metrics unavailable\n');
      },
    );
  };
}

let processMetrics: Registry | undefined;

/**
 * prom-client's process and Node.js figures, collected once per process (they describe the
 * process, and each collection keeps an event-loop monitor running), less its gauges named like
 * counters (`nodejs_active_handles_total`, ...), which break the naming rules promtool checks.
 */
function processRegister(): Registry {
  if (processMetrics) return processMetrics;
  const register = new Registry();
  collectDefaultMetrics({ register });
  for (const metric of register.getMetricsAsArray())
    if (metric instanceof Gauge && metric.name.endsWith('_total'))
      register.removeSingleMetric(metric.name);
  processMetrics = register;
  return register;
}
