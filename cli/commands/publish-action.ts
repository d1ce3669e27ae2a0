/** The work of `appshelf publish` (loaded only when it runs). */
import type { RegistryCredential, SyncJobView } from '../../schemas/sync.js';
import { plural } from '../../schemas/plural.js';
import { formatRef, type AppRef } from '../app-ref.js';
import type { Context } from '../context.js';
import { failure, usage } from '../errors.js';
import { bytes, json } from '../format.js';
import type { StoreApi } from '../store-api.js';
import { parseStoreAddress } from '../store-address.js';
import { versionPath, type VersionView } from '../store-views.js';
import { parseVersionRef } from './store-action.js';

export interface PublishOptions {
  wait: boolean;
  retry?: boolean;
  component?: string;
  credentialsFrom?: string[];
  credential?: string[];
  json?: boolean;
}

const POLL_MS = 400;

async function credentialsOf(ctx: Context, opts: PublishOptions): Promise<RegistryCredential[]> {
  const out: RegistryCredential[] = [];
  for (const text of opts.credential ?? []) {
    const eq = text.indexOf('=');
    const colon = text.indexOf(':', eq + 1);
    if (eq <= 0 || colon < 0)
      throw usage(
        `--credential ${text.replace(/:.*$/, ':…')}: expected <registry>=<user>:<password>`,
        'e.g. --credential registry.example.com=robot:secret',
      );
    out.push({
      registry: text.slice(0, eq),
      username: text.slice(eq + 1, colon),
      password: text.slice(colon + 1),
    });
  }
  for (const text of opts.credentialsFrom ?? []) {
    const { host } = parseStoreAddress(text);
    const login = await ctx.login({ host, url: '' });
    if (!login)
      throw usage(
        `--credentials-from ${text}: not logged in to ${host}`,
        `run "appshelf login ${host} --key <key>" first`,
      );
    out.push({ registry: host, username: login.username, password: login.key });
  }
  return out;
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((done, fail) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        fail(signal.reason instanceof Error ? signal.reason : new Error('interrupted'));
      },
      { once: true },
    );
  });

/** `copying 1/2 components, 3.1 MiB of 12 MiB` */
function progressLine(job: SyncJobView): string {
  const done = job.components.reduce((n, c) => n + c.bytesDone, 0);
  const total = job.components.reduce((n, c) => n + c.bytesTotal, 0);
  return `${job.state} ${job.progress.done}/${job.progress.total} components${total > 0 ? `, ${bytes(done)} of ${bytes(total)}` : ''}`;
}

/** Polls the job until it is done or failed, printing progress on stderr. */
async function follow(
  ctx: Context,
  api: StoreApi,
  ref: AppRef,
  version: string,
  first: SyncJobView | undefined,
  label: string,
): Promise<SyncJobView> {
  const verbose = ctx.io.interactive || ctx.io.env.APPSHELF_PROGRESS === '1';
  const reported = new Map<string, string>();
  let lastLine = '';
  let job = first ?? (await api.get<SyncJobView>(versionPath(ref, version, '/sync')));
  for (;;) {
    for (const c of job.components) {
      if ((c.state !== 'done' && c.state !== 'failed') || reported.get(c.serviceKey) === c.state)
        continue;
      reported.set(c.serviceKey, c.state);
      const blobs = c.blobs
        ? `: ${plural(c.blobs.copied, 'blob')} copied (${bytes(c.bytesDone)}), ${c.blobs.mounted} mounted, ${c.blobs.skipped} already there`
        : '';
      ctx.io.err(
        c.state === 'done'
          ? `${label}: copied ${c.serviceKey} from ${c.source}${blobs}`
          : `${label}: ${c.serviceKey} failed: ${c.error?.message ?? 'unknown error'}`,
      );
    }
    if (job.state === 'done' || job.state === 'failed') return job;
    const line = progressLine(job);
    if (verbose && line !== lastLine) ctx.io.err(`${label}: ${line}`);
    lastLine = line;
    try {
      await sleep(POLL_MS, ctx.signal);
    } catch {
      throw failure(
        `stopped following ${label}; the store goes on publishing`,
        `run "appshelf publish ${formatRef(api.store.host, ref, version)}" to follow it again`,
      );
    }
    job = await api.get<SyncJobView>(versionPath(ref, version, '/sync'));
  }
}

/** What --json prints: the version's state and digest, and its last sync job (none for a pushed version). */
export interface PublishResult {
  reference: string;
  state: VersionView['state'];
  digest: string;
  job: SyncJobView | null;
}

async function resultOf(
  api: StoreApi,
  ref: AppRef,
  reference: string,
  job?: SyncJobView,
): Promise<PublishResult> {
  const version = await api.get<VersionView>(versionPath(ref, ref.version!));
  const last =
    job ?? (await api.get<SyncJobView>(versionPath(ref, ref.version!, '/sync')).catch(() => null));
  return { reference, state: version.state, digest: version.manifestDigest, job: last };
}

export async function publish(ctx: Context, refText: string, opts: PublishOptions): Promise<void> {
  const ref = parseVersionRef(refText, true);
  const version = ref.version!;
  if (opts.component !== undefined && !opts.retry)
    throw usage(
      '--component goes with --retry',
      `appshelf publish ${refText} --retry --component ${opts.component}`,
    );
  const credentials = await credentialsOf(ctx, opts);
  const store = await ctx.store(ref.store);
  const api = await ctx.api(store, 'required');
  const reference = formatRef(store.host, ref, version);
  const body = credentials.length > 0 ? { credentials } : {};

  let started: SyncJobView | undefined;
  if (opts.retry) {
    started = await api.post<SyncJobView>(versionPath(ref, version, '/sync/retry'), {
      body: { ...body, ...(opts.component ? { component: opts.component } : {}) },
    });
  } else {
    const current = await api.get<VersionView>(versionPath(ref, version));
    if (current.state === 'ready') {
      if (opts.json) return void ctx.io.out(json(await resultOf(api, ref, reference)));
      return void ctx.io.out(`${reference} is published already (${current.manifestDigest})`);
    }
    if (current.state === 'syncing')
      ctx.io.err(`${reference} is being published; following that job`);
    else started = await api.post<SyncJobView>(versionPath(ref, version, '/publish'), { body });
  }
  if (!opts.wait) {
    const result = await resultOf(api, ref, reference, started);
    if (opts.json) return void ctx.io.out(json(result));
    return void ctx.io.out(
      `publishing ${reference} (job ${result.job?.id ?? '?'}, ${result.job?.progress.total ?? 0} components); "appshelf publish ${reference}" follows it`,
    );
  }
  const job = await follow(
    ctx,
    api,
    ref,
    version,
    started,
    `publish ${ref.namespace}/${ref.app}:${version}`,
  );
  const result = await resultOf(api, ref, reference, job);
  if (opts.json) ctx.io.out(json(result));
  if (job.state === 'failed') {
    const failed = job.components
      .filter((c) => c.state === 'failed')
      .map((c) => `${c.serviceKey}: ${c.error?.message ?? 'failed'}`);
    throw failure(
      `publishing ${reference} failed (${failed.length ? failed.join('; ') : (job.error?.message ?? 'unknown error')})`,
      `fix the source or its credentials, then run "appshelf publish ${reference} --retry"`,
    );
  }
  if (!opts.json) ctx.io.out(`published ${reference}@${result.digest}`);
}
