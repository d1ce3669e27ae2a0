/**
 * One run of one upstream: ask its store API which apps the globs name and which of their
 * versions are ready and in the range, copy each version that is not complete here (copy-version),
 * then bring the app's versions' upstream marks and its listing in step. An app that fails does
 * not stop the others; the run's error is the first failure, naming app, version and blob.
 */
import semver from 'semver';
import type { Logger } from 'pino';
import type { MirrorUpstream } from '../../schemas/mirror.js';
import type { Digest } from '../../schemas/oci.js';
import { isDigest, RegistryClient, type RetryPolicy } from '../../registry/client/index.js';
import type { Registry } from '../../registry/index.js';
import type { AuditLog } from '../accounts/audit-log.js';
import type { StoreDatabase } from '../db/store-database.js';
import { LocalRegistry } from '../store/sync/local-target.js';
import { repositoryOf, type AppRef } from '../store/version-index.js';
import { versionWanted } from './app-filter.js';
import { copyVersion } from './copy-version.js';
import { syncListing } from './listing-sync.js';
import { mirroredAppRepository } from './mirrored-app-repository.js';
import { MirroredApps } from './mirrored-apps.js';
import type { MirrorState } from './mirror-state.js';
import { TrackedSource } from './tracked-source.js';
import { UpstreamApi } from './upstream-api.js';

export interface RunDeps {
  store: StoreDatabase;
  registry: Registry;
  apps: MirroredApps;
  state: MirrorState;
  audit: AuditLog;
  log: Logger;
  clock: () => number;
  /** The guarded fetch: the upstream is allowed by name, every hop and redirect is checked. */
  outbound: typeof fetch;
  maxManifestBytes: number;
  retry: Partial<RetryPolicy>;
  concurrency: number;
}

/** Where a run is, for `GET /api/v1/admin/mirror` and the CLI's progress. */
export interface RunProgress {
  app: string;
  version: string | null;
  /** Blob bytes copied by this run so far. */
  bytes: number;
}

/** Returns the run's error (null: every app is in step). */
export async function runMirror(
  deps: RunDeps,
  upstream: MirrorUpstream,
  signal: AbortSignal,
  onProgress: (progress: RunProgress) => void,
): Promise<string | null> {
  const actor = `mirror:${upstream.name}`;
  const api = new UpstreamApi(upstream.url, upstream.key, deps.outbound);
  let upstreamApps: AppRef[];
  let client: RegistryClient;
  try {
    const username = await api.userName(signal);
    client = new RegistryClient({
      host: upstream.url,
      credentials: { username, password: upstream.key },
      fetch: deps.outbound,
      retry: deps.retry,
      userAgent: 'appshelf-mirror/0.1',
      maxManifestBytes: deps.maxManifestBytes,
    });
    upstreamApps = await api.matchingApps(upstream.apps, signal);
  } catch (err) {
    return `upstream ${upstream.name}: ${messageOf(err)}`;
  }
  const listings = mirroredAppRepository(deps.store);
  const local = new LocalRegistry(deps.registry, actor, deps.maxManifestBytes, upstream.name);
  let total = 0;
  let firstError: string | null = null;
  const followed: string[] = [];
  for (const ref of upstreamApps) {
    if (signal.aborted) break;
    const into = MirroredApps.localRef(upstream, ref);
    const name = repositoryOf(into);
    followed.push(name);
    const source = new TrackedSource(client);
    let at: string | null = null;
    let appBytes = 0;
    try {
      const listing = await api.app(ref, signal);
      if (!listing) continue; // gone between the listing and now: the next run sees it
      const ready = (await api.versions(ref, signal)).filter((v) => v.state === 'ready');
      const wanted = ready
        .filter((v) => versionWanted(v.version, upstream.versions) && isDigest(v.manifestDigest))
        .sort((a, b) => compareAscending(a.version, b.version));
      let row = await deps.apps.ensure(upstream, into);
      for (const v of wanted) {
        at = v.version;
        onProgress({ app: name, version: v.version, bytes: total + appBytes });
        const before = appBytes;
        appBytes += await copyVersion({
          source,
          sourceRepository: repositoryOf(ref),
          targetRepository: name,
          version: v.version,
          digest: v.manifestDigest as Digest,
          local,
          registry: deps.registry,
          upstreamHost: upstreamHost(upstream),
          mapRepository: (repo) => mapRepository(upstream, repo),
          retry: deps.retry,
          concurrency: deps.concurrency,
          signal,
          onBytes: (n) => onProgress({ app: name, version: v.version, bytes: total + before + n }),
        });
      }
      at = null;
      const removed = await deps.apps.reconcile(
        upstream,
        row,
        ready.map((v) => v.version),
      );
      if (removed.length > 0)
        deps.log.info({ upstream: upstream.name, app: name, removed }, 'pruned versions');
      row = await deps.apps.ensure(upstream, into);
      const logo = listing.logo ? await api.logo(ref, signal) : undefined;
      await syncListing({ ...deps, listings }, row, listing, logo, actor);
      await deps.state.app(upstream.name, name, appBytes, null);
    } catch (err) {
      const where = at === null ? name : `${name} ${at}`;
      const failedBlob = at === null ? undefined : source.digestOf(err);
      const blob = failedBlob ? `: blob ${failedBlob}` : '';
      const error = `${where}${blob}: ${messageOf(err)}`;
      deps.log.warn(
        { upstream: upstream.name, app: name, version: at, blob: failedBlob, err },
        'mirror app failed',
      );
      await deps.state
        .app(upstream.name, name, appBytes, error)
        .catch((e: unknown) => deps.log.warn({ err: e }, 'mirror app state not written'));
      firstError ??= error;
    }
    total += appBytes;
  }
  if (!signal.aborted) await deps.state.forget(upstream.name, followed);
  await deps.audit.record({
    actor,
    action: 'mirror.run',
    target: upstream.name,
    detail: { apps: followed.length, bytes: total, failed: firstError !== null },
  });
  return signal.aborted && firstError === null ? 'the run was stopped' : firstError;
}

/** The host (and port) the upstream's templates name it by. */
function upstreamHost(upstream: MirrorUpstream): string {
  return new URL(upstream.url).host;
}

/** An upstream repository's name here: under `into`, its namespace replaced. */
function mapRepository(upstream: MirrorUpstream, repository: string): string {
  if (!upstream.into) return repository;
  const [, ...rest] = repository.split('/');
  return [upstream.into, ...rest].join('/');
}

/** Semver versions lowest first (so the newest lands last), the others by name after them. */
function compareAscending(a: string, b: string): number {
  const va = semver.valid(a, { loose: true });
  const vb = semver.valid(b, { loose: true });
  if (va && vb) return semver.compare(va, vb);
  if (va) return -1;
  if (vb) return 1;
  return a.localeCompare(b);
}

function messageOf(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error && !err.message.includes(cause.message)
    ? `${err.message} (${cause.message})`
    : err.message;
}
