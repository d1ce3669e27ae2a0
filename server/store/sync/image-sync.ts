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
import { and, asc, eq } from 'drizzle-orm';
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
import type { Db } from '../../db/open-database.js';
import { apps, components, versions } from '../../db/store-schema.js';
import { StoreError } from '../../errors.js';
import { repositoryOf, type AppRef, type VersionIndex } from '../version-index.js';
import { writeBundle, type BundleTarget } from './bundle-writer.js';
import { componentSource } from './component-source.js';
import { copyComponent } from './copy-component.js';
import { credentialsFor, parseImageRef } from './image-ref.js';
import { limiter } from './limiter.js';
import { LocalRegistry } from './local-target.js';
import type { OwnHosts } from './own-hosts.js';
import { componentLabel, failureOf } from './sync-failure.js';
import { SyncJobs, viewOf, type SyncJob } from './sync-jobs.js';
import { templateOrder } from './template-fields.js';
import { KeptCredentials } from '../kept-credentials.js';
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
}

export interface ImageSyncDeps {
  db: Db;
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
/** Other repositories of the namespace tried as mount sources. */
const MAX_MOUNT_SOURCES = 50;

export class ImageSync {
  private readonly jobs: SyncJobs;
  private readonly running = new Map<number, Promise<void>>();
  /** Request credentials and the publisher, per job: memory only. */
  private readonly given = new Map<number, Given>();
  private readonly stopping = new AbortController();
  private readonly slot: <T>(task: () => Promise<T>) => Promise<T>;
  private readonly kept: KeptCredentials;

  constructor(private readonly deps: ImageSyncDeps) {
    this.jobs = new SyncJobs(deps.db, deps.clock);
    this.kept = new KeptCredentials(deps.db, deps.clock);
    this.slot = limiter(Math.max(1, deps.options?.concurrency ?? 2));
  }

  /** Takes up the jobs a stop or crash left pending or copying. */
  resume(): void {
    for (const job of this.jobs.unfinished()) {
      this.jobs.updateComponents(
        job.id,
        (c) => ({ ...c, state: 'pending' }),
        (c) => c.state === 'copying',
      );
      this.deps.log.info({ job: job.id, versionId: job.versionId }, 'sync job resumed');
      this.schedule(job.id);
    }
  }

  /** Whether a job is pending or copying (reindex waits for none). */
  busy(): boolean {
    return this.running.size > 0 || this.jobs.unfinished().length > 0;
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await Promise.allSettled([...this.running.values()]);
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
    const rows = this.deps.db
      .select()
      .from(components)
      .where(eq(components.versionId, version.id))
      .orderBy(asc(components.serviceKey))
      .all();
    const order = templateOrder(version.template);
    rows.sort((a, b) => (order.get(a.serviceKey) ?? 0) - (order.get(b.serviceKey) ?? 0));
    const job = this.deps.db.transaction(() => {
      const created = this.jobs.create(
        version.id,
        rows.map((c) => ({
          serviceKey: c.serviceKey,
          source: c.sourceRef,
          state: 'pending' as const,
          bytesDone: 0,
          bytesTotal: 0,
        })),
      );
      this.setVersionState(version.id, 'syncing');
      return created;
    });
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
    const job = this.jobs.latestFor(version.id);
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
    const job = this.jobs.latestFor(version.id);
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
    const updated = this.deps.db.transaction(() => {
      const changed = this.jobs.updateComponents(
        job.id,
        ({ error: _cleared, ...c }) => ({ ...c, state: 'pending' }),
        pick,
      );
      this.jobs.setState(job.id, 'pending');
      this.setVersionState(version.id, 'syncing');
      return changed;
    });
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

  private async require(
    p: Principal,
    ref: VersionRef,
    need: 'read' | 'push',
  ): Promise<BundleTarget> {
    if (p.kind !== 'user') throw new StoreError('unauthorized', 'sign in or send an access key');
    const app = this.deps.db
      .select()
      .from(apps)
      .where(and(eq(apps.namespace, ref.namespace), eq(apps.name, ref.name)))
      .get();
    const visible =
      app !== undefined &&
      ((await this.deps.permissions.namespace(p, ref.namespace, 'read')) ||
        (await this.deps.permissions.readApp(p, ref.namespace, ref.name)));
    if (!app || !visible) throw new StoreError('not_found', `no app ${repositoryOf(ref)}`);
    if (!(await this.deps.permissions.namespace(p, ref.namespace, need)))
      throw new StoreError('forbidden', `${need} in ${ref.namespace} is not allowed`);
    const version = this.deps.db
      .select()
      .from(versions)
      .where(and(eq(versions.appId, app.id), eq(versions.version, ref.version)))
      .get();
    if (!version)
      throw new StoreError('not_found', `no version ${ref.version} of ${repositoryOf(ref)}`);
    return { app, version };
  }

  private schedule(jobId: number): void {
    if (this.running.has(jobId) || this.stopping.signal.aborted) return;
    const run = this.run(jobId)
      .catch((err: unknown) => {
        this.deps.log.error({ err, job: jobId }, 'sync job crashed');
        this.fail(jobId, failureOf(err));
      })
      .finally(() => this.running.delete(jobId));
    this.running.set(jobId, run);
  }

  private async run(jobId: number): Promise<void> {
    await Promise.resolve(); // let the request that started the job answer first
    const job = this.jobs.get(jobId);
    if (!job || (job.state !== 'pending' && job.state !== 'copying')) return;
    this.jobs.setState(jobId, 'copying');
    this.setVersionState(job.versionId, 'syncing');
    const todo = job.components
      .filter((c) => c.state === 'pending' || c.state === 'copying')
      .map((c) => c.serviceKey);
    await Promise.all(todo.map((key) => this.slot(() => this.copyOne(jobId, key))));
    if (this.stopping.signal.aborted) return; // left copying: the next start goes on
    const after = this.jobs.get(jobId);
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
    const target = this.targetOf(after);
    if (!target) return;
    try {
      const digest = await writeBundle(
        this.deps,
        target,
        after.components,
        this.given.get(jobId)?.actor ?? SYNC_ACTOR,
      );
      this.jobs.setState(jobId, 'done');
      this.given.delete(jobId);
      this.deps.log.info(
        { job: jobId, repo: repositoryOf(target.app), version: target.version.version, digest },
        'version published',
      );
    } catch (err) {
      if (this.stopping.signal.aborted) return;
      this.fail(jobId, failureOf(err));
    }
  }

  private async copyOne(jobId: number, key: string): Promise<void> {
    if (this.stopping.signal.aborted) return;
    const isIt = (c: ComponentSync): boolean => c.serviceKey === key;
    const job = this.jobs.updateComponents(jobId, (c) => ({ ...c, state: 'copying' }), isIt);
    const component = job?.components.find(isIt);
    const target = job && this.targetOf(job);
    if (!job || !component || !target) return;
    const repository = repositoryOf(target.app);
    const options = this.deps.options ?? {};
    const given = this.given.get(jobId);
    let reported = 0;
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
            this.kept.forComponent(target.version.id, key),
          ),
          retry: options.retry ?? {},
          outbound: this.deps.outbound,
        }),
        target: local,
        repository,
        mountFrom: await this.mountSources(target.app.namespace, repository),
        retry: options.retry ?? {},
        attempts: options.attempts ?? 3,
        concurrency: options.blobConcurrency ?? 4,
        signal: this.stopping.signal,
        onPinned: (digest) => this.jobs.updateComponents(jobId, (c) => ({ ...c, digest }), isIt),
        onProgress: (bytesDone, bytesTotal) => {
          const now = this.deps.clock();
          if (now - reported < PROGRESS_EVERY_MS) return;
          reported = now;
          this.jobs.updateComponents(jobId, (c) => ({ ...c, bytesDone, bytesTotal }), isIt);
        },
      });
      this.jobs.updateComponents(
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
      if (this.stopping.signal.aborted) {
        this.jobs.updateComponents(jobId, (c) => ({ ...c, state: 'pending' }), isIt);
        return;
      }
      const error = failureOf(err, component);
      this.jobs.updateComponents(jobId, (c) => ({ ...c, state: 'failed', error }), isIt);
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

  private fail(jobId: number, error: SyncFailure): void {
    const job = this.jobs.get(jobId);
    if (!job) return;
    this.jobs.setState(jobId, 'failed', error);
    const version = this.deps.db
      .select({ state: versions.state })
      .from(versions)
      .where(eq(versions.id, job.versionId))
      .get();
    if (version?.state === 'syncing') this.setVersionState(job.versionId, 'failed');
    this.deps.log.warn(
      { job: jobId, versionId: job.versionId, code: error.code },
      'sync job failed',
    );
    const target = this.targetOf(job);
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

  private targetOf(job: SyncJob): BundleTarget | undefined {
    const version = this.deps.db
      .select()
      .from(versions)
      .where(eq(versions.id, job.versionId))
      .get();
    if (!version) return undefined;
    const app = this.deps.db.select().from(apps).where(eq(apps.id, version.appId)).get();
    return app && { app, version };
  }

  private setVersionState(versionId: number, state: 'syncing' | 'failed'): void {
    this.deps.db.update(versions).set({ state }).where(eq(versions.id, versionId)).run();
  }

  /** The namespace's other repositories: the publisher may read them, so their blobs may be mounted. */
  private async mountSources(namespace: string, repository: string): Promise<string[]> {
    const found: string[] = [];
    let last = `${namespace}/`;
    for (;;) {
      const page = await this.deps.registry.meta.listRepositories(last, 100);
      for (const name of page) {
        if (!name.startsWith(`${namespace}/`)) return found;
        if (name !== repository) found.push(name);
        if (found.length >= MAX_MOUNT_SOURCES) return found;
      }
      if (page.length < 100) return found;
      last = page.at(-1)!;
    }
  }
}

function actorName(p: Principal): string {
  return p.kind === 'user' ? p.name : SYNC_ACTOR;
}
