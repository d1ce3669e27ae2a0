import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GcReport } from './gc/garbage-collector.js';

/**
 * What a /v2 request was, for its owner's metrics: the base check, the catalog, one of the five
 * route families, or a path no route matches.
 */
export type V2Family =
  'v2' | 'catalog' | 'manifests' | 'blobs' | 'uploads' | 'tags' | 'referrers' | 'v2_unknown';

/**
 * How the registry tells its owner what it did, for metrics. `requestFinished` runs on the read
 * paths (blob and manifest GET), so an implementation must be cheap: a few additions, no I/O.
 */
export interface RegistryObserver {
  /**
   * A /v2 request is done: its response was handed to the connection, or it failed (the status
   * is then the error's, or that of the response cut short). `startedAt`: `performance.now()`
   * when the request came in.
   */
  requestFinished(
    family: V2Family,
    req: IncomingMessage,
    res: ServerResponse,
    startedAt: number,
  ): void;
  /** A garbage collection (a dry run or not) finished with `report`, or failed (undefined). */
  gcFinished(dryRun: boolean, report: GcReport | undefined): void;
}

export const unobserved: RegistryObserver = {
  requestFinished: () => undefined,
  gcFinished: () => undefined,
};
