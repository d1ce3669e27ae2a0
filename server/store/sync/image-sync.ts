/**
 * Publishing a draft version (ARCHITECTURE.md §3 way in 2, §8): a background job copies every
 * component image from its source registry into the app's repository, then writes the bundle
 * under the version's tag. Jobs live in `sync_jobs`, so a restart takes up pending and copying
 * ones again (copied blobs are skipped, so they go on where they stopped). Components are
 * copied a few at a time across all jobs; a failed component can be retried on its own.
 *
 * Credentials given with a request are held in memory only, for the job's life in this process:
 * after a restart a job goes on with those the draft's template named (kept for the sync in
 * `source_credentials`, see kept-credentials.ts), and a source that needs the request's fails
 * with `unauthorized` until a retry gives them again.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type {
  ComponentSync,
  PublishRequest,
  RegistryCredential,
  SyncFailure,
  SyncJobView,
  SyncRetryRequest,
} from '../../../schemas/sync.js';
import type { RetryPolicy } from '../../../registry/client/index.js';
import type { Registry } from '../../../registry/index.js';
import type { Permissions } from '../../auth/permissions.js';
import type { Principal } from '../../auth/principal.js';
import type { StoreDatabase } from '../../db/store-database.js';
import { StoreError } from '../../errors.js';
import { repositoryOf, type AppRef, type VersionIndex } from '../version-index.js';
import { writeBundle } from './bundle-writer.js';
import { componentSource } from './component-source.js';
import { copyComponent } from './copy-component.js';
import { credentialsFor, parseImageRef } from './image-ref.js';
import { limiter } from './limiter.js';
import { LocalRegistry } from './local-target.js';
import { mountSources } from './mount-sources.js';
import type { OwnHosts } from './own-hosts.js';
import { JobLease, type LeaseOptions } from './job-lease.js';
import { componentLabel, failureOf } from './sync-failure.js';
import { syncJobRepository, type SyncJob, type SyncJobRepository } from './sync-job-repository.js';
import { viewOf } from './sync-jobs.js';
import {
  syncTargetRepository,
  type SyncTarget,
  type SyncTargetRepository,
} from './sync-target-repository.js';
import { templateOrder } from './template-fields.js';
import type { StoreEvents } from '../../webhooks/store-events.js';

export interface VersionRef extends AppRef {
  version: string;
}

export interface ImageSyncOptions {
  /** Components copied at a time, across all jobs (default 2). */
  concurrency?: number;
  /** Blob transfers at a time within one component (default 4). */
  blobConcurrency?: number;
  /** Tries of a component on network failures and 429/5xx (default 3). */
  attempts?: number;
  retry?: Partial<RetryPolicy>;
  /** The lease on running jobs when several processes share the database. */
  lease?: LeaseOptions;
}

export interface ImageSyncDeps {
  store: StoreDatabase;
  registry: Registry;
  versions: VersionIndex;
  permissions: Permissions;
  log: Logger;
  clock: () => number;
  maxManifestBytes: number;
  /** The guarded fetch (outbound policy, timeouts): every source request goes through it. */
  outbound: typeof fetch;
  /** References to these hosts are copied inside the store. */
  ownHosts: OwnHosts;
  /** Told of a failed job: webhook `sync_failed`. */
  events?: StoreEvents;
  options?: ImageSyncOptions;
  /** This process's name as the owner of the jobs it runs (default: a random one per start). */
  owner?: string;
}

/** A job this process runs, and how to stop it. */
interface Running {
  done: Promise<void>;
  abort: AbortController;
  /** Another process took it over: nothing more is written for it here. */
  lost: boolean;
}

/** What a publish or retry request gave: memory only, for the job's life in this process. */
interface Given {
  credentials: RegistryCredential[];
  actor: string;
  publisher: Principal;
  /** The Host the requests came in on: references to it are this store. */
  hosts: string[];
}

const PROGRESS_EVERY_MS = 500;
const SYNC_ACTOR = 'appshelf-sync';

export class ImageSync {
  private readonly jobs: SyncJobRepository;
  private readonly targets: SyncTargetRepository;
  private readonly lease: JobLease;
  private readonly running = new Map<number, Running>();
  /** Request credentials and the publisher, per job: memory only. */
  private readonly given = new Map<number, Given>();
  private readonly stopping = new AbortController();
  private readonly slot: <T>(task: () => Promise<T>) => Promise<T>;

  constructor(private readonly deps: ImageSyncDeps) {
    this.jobs = syncJobRepository(deps.store, deps.clock);
    this.targets = syncTargetRepository(deps.store);
    this.slot = limiter(Math.max(1, deps.options?.concurrency ?? 2));
    this.lease = new JobLease(
      this.jobs,
      deps.owner ?? randomUUID(),
      {
        running: () => [...this.running.keys()],
        claimed: (job) => void this.takeUp(job),
        lost: (jobId) => this.drop(jobId),
      },
      { clock: deps.clock, log: deps.log },
      deps.options?.lease,
    );
  }

  /** This process's name in a job's `owner`. */
  get owner(): string {
    return this.lease.owner;
  }

  /**
   * Takes up the jobs a stop or crash left pending or copying (on PostgreSQL those no live
   * process holds), then keeps claiming the jobs of processes that stop heartbeating.
   */
  async resume(): Promise<void> {
    for (const job of await this.lease.start()) await this.takeUp(job, 'sync job resumed');
  }

  /** Whether a job is pending or copying (reindex waits for none). */
  async busy(): Promise<boolean> {
    return this.running.size > 0 || (await this.jobs.unfinished()).length > 0;
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.lease.stop();
    for (const run of this.running.values()) run.abort.abort();
    const ids = [...this.running.keys()];
    await Promise.allSettled([...this.running.values()].map((r) => r.done));
    // Left unfinished: another process may take them at once instead of waiting for staleness.
    await this.jobs.release(this.owner, ids).catch((err: unknown) => {
      this.deps.log.warn({ err }, 'sync jobs not released');
    });
  }

  /** A job claimed by this process: components a dead run left copying start again. */
  private async takeUp(job: SyncJob, message = 'sync job claimed'): Promise<void> {
    try {
      await this.jobs.updateComponents(
        job.id,
        (c) => ({ ...c, state: 'pending' }),
        (c) => c.state === 'copying',
      );
      this.deps.log.info({ job: job.id, versionId: job.versionId, owner: this.owner }, message);
      this.schedule(job.id);
    } catch (err) {
      this.deps.log.error({ err, job: job.id }, 'sync job not taken up');
    }
  }

  /** Another process holds the job now: stop copying it here, quietly. */
  private drop(jobId: number): void {
    const run = this.running.get(jobId);
    if (!run) return;
    run.lost = true;
    run.abort.abort();
    this.given.delete(jobId);
  }

  /** `requestHost`: the Host the request came in on (a reference to it is this store). */
  async publish(
    p: Principal,
    ref: VersionRef,
    input: PublishRequest,
    requestHost?: string,
  ): Promise<SyncJobView> {
    const target = await this.require(p, ref, 'push');
    const { version } = target;
    if (version.state === 'syncing')
      throw new StoreError('conflict', `${ref.version} is being published`, {
        state: version.state,
      });
    if (version.state === 'ready')
      throw new StoreError('conflict', `${ref.version} is already published`, {
        state: version.state,
      });
    const rows = await this.targets.components(version.id);
    const order = templateOrder(version.template);
    rows.sort((a, b) => (order.get(a.serviceKey) ?? 0) - (order.get(b.serviceKey) ?? 0));
    const job = await this.jobs.start(
      version.id,
      rows.map((c) => ({
        serviceKey: c.serviceKey,
        source: c.sourceRef,
        state: 'pending' as const,
        bytesDone: 0,
        bytesTotal: 0,
      })),
      this.owner,
    );
    this.given.set(job.id, {
      credentials: input.credentials ?? [],
      actor: actorName(p),
      publisher: p,
      hosts: requestHost ? [requestHost] : [],
    });
    this.deps.log.info(
      {
        job: job.id,
        repo: repositoryOf(ref),
        version: ref.version,
        components: rows.length,
        actor: actorName(p),
      },
      'publish started',
    );
    this.schedule(job.id);
    return viewOf(job, version.version);
  }

  async status(p: Principal, ref: VersionRef): Promise<SyncJobView> {
    const { version } = await this.require(p, ref, 'read');
    const job = await this.jobs.latestFor(version.id);
    if (!job) throw new StoreError('not_found', `${ref.version} has no sync job; publish it first`);
    return viewOf(job, version.version);
  }

  async retry(
    p: Principal,
    ref: VersionRef,
    input: SyncRetryRequest,
    requestHost?: string,
  ): Promise<SyncJobView> {
    const { version } = await this.require(p, ref, 'push');
    const job = await this.jobs.latestFor(version.id);
    if (!job) throw new StoreError('not_found', `${ref.version} has no sync job; publish it first`);
    if (job.state !== 'failed')
      throw new StoreError(
        'conflict',
        `the sync job is ${job.state}; only a failed one can be retried`,
        { state: job.state },
      );
    if (input.component !== undefined) {
      const c = job.components.find((x) => x.serviceKey === input.component);
      if (!c)
        throw new StoreError('not_found', `no component ${input.component} in ${ref.version}`);
      if (c.state !== 'failed')
        throw new StoreError('conflict', `component ${input.component} is ${c.state}`, {
          state: c.state,
        });
    }
    const pick = (c: ComponentSync): boolean =>
      c.state === 'failed' && (input.component === undefined || c.serviceKey === input.component);
    // A failed job runs nowhere: the process asked takes it.
    const updated = await this.jobs.reopen(job.id, pick, this.owner);
    const before = this.given.get(job.id);
    const credentials = [...(input.credentials ?? []), ...(before?.credentials ?? [])];
    const hosts = [...(requestHost ? [requestHost] : []), ...(before?.hosts ?? [])];
    this.given.set(job.id, { credentials, actor: actorName(p), publisher: p, hosts });
    this.deps.log.info(
      {
        job: job.id,
        repo: repositoryOf(ref),
        version: ref.version,
        component: input.component,
        actor: actorName(p),
      },
      'sync retried',
    );
    this.schedule(job.id);
    return viewOf({ ...(updated ?? job), state: 'pending', error: null }, version.version);
  }

  private async require(p: Principal, ref: VersionRef, need: 'read' | 'push'): Promise<SyncTarget> {
    if (p.kind !== 'user') throw new StoreError('unauthorized', 'sign in or send an access key');
    const { app, version } = await this.targets.find(ref.namespace, ref.name, ref.version);
    const visible =
      app !== undefined &&
      ((await this.deps.permissions.namespace(p, ref.namespace, 'read')) ||
        (await this.deps.permissions.readApp(p, ref.namespace, ref.name)));
    if (!app || !visible) throw new StoreError('not_found', `no app ${repositoryOf(ref)}`);
    if (!(await this.deps.permissions.namespace(p, ref.namespace, need)))
      throw new StoreError('forbidden', `${need} in ${ref.namespace} is not allowed`);
    if (!version)
      throw new StoreError('not_found', `no version ${ref.version} of ${repositoryOf(ref)}`);
    return { app, version };
  }

  private schedule(jobId: number): void {
    if (this.running.has(jobId) || this.stopping.signal.aborted) return;
    const abort = new AbortController();
    const entry: Running = { done: Promise.resolve(), abort, lost: false };
    entry.done = this.run(jobId, abort.signal)
      .catch(async (err: unknown) => {
        if (entry.lost) return;
        this.deps.log.error({ err, job: jobId }, 'sync job crashed');
        await this.fail(jobId, failureOf(err));
      })
      .catch((err: unknown) => this.deps.log.error({ err, job: jobId }, 'sync job not failed'))
      .finally(() => this.running.delete(jobId));
    this.running.set(jobId, entry);
  }

  private async run(jobId: number, signal: AbortSignal): Promise<void> {
    await Promise.resolve(); // let the request that started the job answer first
    const job = await this.jobs.get(jobId);
    if (!job || (job.state !== 'pending' && job.state !== 'copying')) return;
    await this.jobs.setState(jobId, 'copying');
    await this.targets.setVersionState(job.versionId, 'syncing');
    const todo = job.components
      .filter((c) => c.state === 'pending' || c.state === 'copying')
      .map((c) => c.serviceKey);
    await Promise.all(todo.map((key) => this.slot(() => this.copyOne(jobId, key, signal))));
    // Stopped: left copying, the next start (or another process) goes on. Lost: not ours.
    if (signal.aborted) return;
    const after = await this.jobs.get(jobId);
    if (!after) return; // the version was deleted meanwhile
    const failed = after.components.filter((c) => c.state === 'failed');
    if (failed.length > 0) {
      const which = failed
        .map((c) => `${componentLabel(c)}${c.error ? ` (${c.error.code})` : ''}`)
        .join('; ');
      return this.fail(jobId, {
        code: 'components_failed',
        message: `${failed.length} of ${after.components.length} components failed: ${which}`,
      });
    }
    const target = await this.targets.byVersionId(after.versionId);
    if (!target) return;
    try {
      const digest = await writeBundle(
        { registry: this.deps.registry, targets: this.targets },
        target,
        after.components,
        this.given.get(jobId)?.actor ?? SYNC_ACTOR,
      );
      await this.jobs.setState(jobId, 'done');
      this.given.delete(jobId);
      this.deps.log.info(
        { job: jobId, repo: repositoryOf(target.app), version: target.version.version, digest },
        'version published',
      );
    } catch (err) {
      if (signal.aborted) return;
      await this.fail(jobId, failureOf(err));
    }
  }

  private async copyOne(jobId: number, key: string, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    const isIt = (c: ComponentSync): boolean => c.serviceKey === key;
    const job = await this.jobs.updateComponents(jobId, (c) => ({ ...c, state: 'copying' }), isIt);
    const component = job?.components.find(isIt);
    const target = job && (await this.targets.byVersionId(job.versionId));
    if (!job || !component || !target) return;
    const repository = repositoryOf(target.app);
    const options = this.deps.options ?? {};
    const given = this.given.get(jobId);
    let reported = 0;
    // Progress is written in the background, in order; the final write waits for it.
    let progress: Promise<unknown> = Promise.resolve();
    const later = (change: (c: ComponentSync) => ComponentSync): void => {
      progress = progress
        .then(() => this.jobs.updateComponents(jobId, change, isIt))
        .catch((err: unknown) => this.deps.log.warn({ err, job: jobId }, 'sync progress lost'));
    };
    try {
      const source = parseImageRef(component.source);
      const local = new LocalRegistry(
        this.deps.registry,
        given?.actor ?? SYNC_ACTOR,
        this.deps.maxManifestBytes,
      );
      const copied = await copyComponent(component, {
        source: await componentSource(source, {
          local,
          own: this.deps.ownHosts.has(source.host, given?.hosts),
          publisher: given?.publisher,
          permissions: this.deps.permissions,
          credentials: credentialsFor(
            source.host,
            given?.credentials ?? [],
            await this.targets.keptCredential(target.version.id, key),
          ),
          retry: options.retry ?? {},
          outbound: this.deps.outbound,
        }),
        target: local,
        repository,
        mountFrom: await mountSources(this.deps.registry, target.app.namespace, repository),
        retry: options.retry ?? {},
        attempts: options.attempts ?? 3,
        concurrency: options.blobConcurrency ?? 4,
        signal,
        onPinned: (digest) => later((c) => ({ ...c, digest })),
        onProgress: (bytesDone, bytesTotal) => {
          const now = this.deps.clock();
          if (now - reported < PROGRESS_EVERY_MS) return;
          reported = now;
          later((c) => ({ ...c, bytesDone, bytesTotal }));
        },
      });
      await progress;
      if (this.running.get(jobId)?.lost) return;
      await this.jobs.updateComponents(
        jobId,
        (c) => ({ ...copied, ...(c.digest && !copied.digest ? { digest: c.digest } : {}) }),
        isIt,
      );
      this.deps.log.info(
        {
          job: jobId,
          repo: repository,
          component: key,
          digest: copied.digest,
          blobs: copied.blobs,
        },
        'component copied',
      );
    } catch (err) {
      await progress;
      if (signal.aborted) {
        if (!this.running.get(jobId)?.lost)
          await this.jobs.updateComponents(jobId, (c) => ({ ...c, state: 'pending' }), isIt);
        return;
      }
      const error = failureOf(err, component);
      await this.jobs.updateComponents(jobId, (c) => ({ ...c, state: 'failed', error }), isIt);
      this.deps.log.warn(
        {
          job: jobId,
          repo: repository,
          component: key,
          source: component.source,
          code: error.code,
        },
        'component copy failed',
      );
    }
  }

  private async fail(jobId: number, error: SyncFailure): Promise<void> {
    const job = await this.jobs.get(jobId);
    if (!job) return;
    await this.jobs.setState(jobId, 'failed', error);
    await this.targets.failSyncing(job.versionId);
    this.deps.log.warn(
      { job: jobId, versionId: job.versionId, code: error.code },
      'sync job failed',
    );
    const target = await this.targets.byVersionId(job.versionId);
    if (target)
      this.deps.events?.emit({
        type: 'sync_failed',
        namespace: target.app.namespace,
        app: target.app.name,
        actor: this.given.get(jobId)?.actor,
        data: {
          repository: repositoryOf(target.app),
          version: target.version.version,
          job: jobId,
          code: error.code,
          message: error.message,
        },
      });
  }
}

function actorName(p: Principal): string {
  return p.kind === 'user' ? p.name : SYNC_ACTOR;
}
