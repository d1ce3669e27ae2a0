/**
 * `appshelf push`: copies each component image into the app's repository (registry to registry,
 * blobs mounted or skipped when the store has them, uploads resumed after failures), uploads
 * template.json as the template manifest, and writes the bundle index under the version tag;
 * then each plugin's image under `<version>-plugin-<plugin_key>` in the same repository, where
 * export and mirror find it.
 */
import {
  copyImage,
  isClientError,
  type CopyEvent,
  type CopyStats,
  type RegistryClient,
} from '../registry/client/index.js';
import { BundleAnnotations, BundleTypes, pluginTag } from '../schemas/bundle.js';
import { MediaTypes, type Descriptor } from '../schemas/oci.js';
import type { RamTemplate } from '../schemas/ram.js';
import {
  blobDescriptor,
  bundleIndex,
  EMPTY_JSON,
  templateManifest,
  type BoundComponent,
} from './bundle.js';
import { CliError, toCliError } from './errors.js';
import type { OpenedSource } from './image-source.js';
import { addStats, emptyStats } from './progress.js';

export interface PushAppOptions {
  store: { client: RegistryClient; host: string };
  /** `<namespace>/<app>` */
  repository: string;
  version: string;
  /** template.json as it is stored (the exact bytes given), and parsed. */
  templateBytes: Buffer;
  template: RamTemplate;
  /** One image per component of the template. */
  images: { serviceKey: string; source: OpenedSource }[];
  /** Plugin images, kept in the app's repository under `<version>-plugin-<plugin_key>`. */
  plugins?: { pluginKey: string; source: OpenedSource }[];
  /** Called with a service key, or `plugin <plugin_key>`. */
  onProgress?: (serviceKey: string, event: CopyEvent) => void;
  signal?: AbortSignal | undefined;
  /** Republish over an immutable version (the namespace's owners only; audited by the store). */
  force?: boolean;
}

export interface PushAppResult {
  reference: string;
  digest: string;
  templateDigest: string;
  components: { serviceKey: string; digest: string; source: string; stats: CopyStats }[];
  plugins: { pluginKey: string; tag: string; digest: string; source: string }[];
  stats: CopyStats;
}

export async function pushApp(options: PushAppOptions): Promise<PushAppResult> {
  const { store, repository, version, signal } = options;
  const call = signal ? { signal } : {};
  const components: BoundComponent[] = [];
  const results: PushAppResult['components'] = [];
  const stats = emptyStats();

  for (const { serviceKey, source } of options.images) {
    const copied = await copyComponent(serviceKey, source, options).catch((err: unknown) => {
      // Which component, from where: the one line says what to fix.
      const e = toCliError(err);
      throw new CliError(
        e.kind,
        `component ${serviceKey} from ${source.ref}: ${e.message}`,
        e.hint,
        {
          cause: err,
        },
      );
    });
    components.push({ serviceKey, descriptor: copied.descriptor, source: source.ref });
    results.push({
      serviceKey,
      digest: copied.descriptor.digest,
      source: source.ref,
      stats: copied.stats,
    });
    addStats(stats, copied.stats);
  }

  const layer = blobDescriptor(options.templateBytes, BundleTypes.template, {
    [BundleAnnotations.title]: 'template.json',
  });
  await putBlob(
    store.client,
    repository,
    blobDescriptor(EMPTY_JSON, MediaTypes.ociEmpty),
    EMPTY_JSON,
    signal,
  );
  await putBlob(store.client, repository, layer, options.templateBytes, signal);
  const manifest = templateManifest(layer);
  await store.client.pushManifest(
    repository,
    manifest.descriptor.digest,
    manifest.bytes,
    manifest.descriptor.mediaType,
    call,
  );

  const describe = options.template.describe;
  const annotations: Record<string, string> = {
    [BundleAnnotations.version]: version,
    [BundleAnnotations.title]: options.template.group_name,
    ...(typeof describe === 'string' && describe
      ? { [BundleAnnotations.description]: describe }
      : {}),
  };
  // No `created` time: the same template and images give the same bytes, so the same digest,
  // on every push and every store. The same bundle already under the tag is left as it is.
  const bundle = bundleIndex(manifest.descriptor, components, annotations);
  const existing = await sameBundle(store.client, repository, version, bundle.bytes, signal);
  const digest =
    existing ??
    (
      await store.client.pushManifest(
        repository,
        version,
        bundle.bytes,
        bundle.descriptor.mediaType,
        { ...call, force: !!options.force },
      )
    ).digest;
  const plugins: PushAppResult['plugins'] = [];
  for (const { pluginKey, source } of options.plugins ?? []) {
    const tag = pluginTag(version, pluginKey);
    const copied = await copyImage({
      from: { client: source.client, repository: source.repository, reference: source.reference },
      to: { client: store.client, repository, tag },
      ...(options.onProgress
        ? { onProgress: (e: CopyEvent) => options.onProgress?.(`plugin ${pluginKey}`, e) }
        : {}),
      ...call,
    });
    plugins.push({ pluginKey, tag, digest: copied.descriptor.digest, source: source.ref });
    addStats(stats, copied.stats);
  }
  return {
    reference: `${store.host}/${repository}:${version}`,
    digest,
    templateDigest: manifest.descriptor.digest,
    components: results,
    plugins,
    stats,
  };
}

/** The component's image into the app's repository, by digest (the copy tags nothing there). */
async function copyComponent(
  serviceKey: string,
  source: OpenedSource,
  options: PushAppOptions,
): Promise<Awaited<ReturnType<typeof copyImage>>> {
  const call = options.signal ? { signal: options.signal } : {};
  const root = await source.client.repository(source.repository).resolve(source.reference, call);
  return copyImage({
    from: { client: source.client, repository: source.repository, reference: root.digest },
    to: { client: options.store.client, repository: options.repository },
    ...(options.onProgress
      ? { onProgress: (e: CopyEvent) => options.onProgress?.(serviceKey, e) }
      : {}),
    ...call,
  });
}

async function putBlob(
  client: RegistryClient,
  repository: string,
  descriptor: Descriptor,
  bytes: Buffer,
  signal?: AbortSignal,
): Promise<void> {
  const call = signal ? { signal } : {};
  if (await client.blobExists(repository, descriptor.digest, call)) return;
  await client.pushBlob(repository, descriptor, bytes, call);
}

/** The digest of the bundle under `tag` when it holds `bytes` (pushing it again would bump the version). */
async function sameBundle(
  client: RegistryClient,
  repository: string,
  tag: string,
  bytes: Buffer,
  signal?: AbortSignal,
): Promise<string | undefined> {
  let current: { descriptor: Descriptor; bytes: Buffer };
  try {
    current = await client.fetchManifest(repository, tag, signal ? { signal } : {});
  } catch (err) {
    if (isClientError(err, 'not_found')) return undefined;
    throw err;
  }
  return current.bytes.equals(bytes) ? current.descriptor.digest : undefined;
}
