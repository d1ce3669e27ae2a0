/**
 * `appshelf pull`: template.json of an app version, with each component's image pointed at the
 * store's copy by digest and group_version stamped from the tag (as the store serves it), or the
 * exact bytes as pushed (`raw`); with `imagesDir`, the whole bundle as an OCI image layout too.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  copyImage,
  isDigest,
  OciLayout,
  type CopyEvent,
  type CopyStats,
  type RegistryClient,
} from '../registry/client/index.js';
import { BundleAnnotations } from '../schemas/bundle.js';
import type { Descriptor } from '../schemas/oci.js';
import { fetchTemplate, readBundle } from './bundle.js';
import { failure } from './errors.js';

export interface PullAppOptions {
  store: { client: RegistryClient; host: string };
  repository: string;
  /** A version tag or a digest. */
  reference: string;
  outputDir: string;
  raw?: boolean;
  /** Also write the bundle and its images as an OCI layout in this folder. */
  imagesDir?: string | undefined;
  onProgress?: (event: CopyEvent) => void;
  signal?: AbortSignal | undefined;
}

export interface PullAppResult {
  reference: string;
  digest: string;
  template: string;
  components: { serviceKey: string; image: string }[];
  images?: { layout: string; tag: string; stats: CopyStats };
}

export async function pullApp(options: PullAppOptions): Promise<PullAppResult> {
  const { store, repository, reference, signal } = options;
  const bundle = await readBundle(store.client, repository, reference, signal);
  const bytes = await fetchTemplate(store.client, repository, bundle.templateLayer, signal);
  const byDigest = isDigest(reference);
  const version = byDigest ? bundle.index.annotations?.[BundleAnnotations.version] : reference;
  const images = (d: Descriptor) => `${store.host}/${repository}@${d.digest}`;
  const content = options.raw ? bytes : pointAtStore(bytes, bundle.components, images, version);

  await mkdir(options.outputDir, { recursive: true });
  const path = join(options.outputDir, 'template.json');
  const temp = `${path}.partial`;
  await writeFile(temp, content);
  await rename(temp, path);

  const result: PullAppResult = {
    reference: `${store.host}/${repository}${byDigest ? '@' : ':'}${reference}`,
    digest: bundle.descriptor.digest,
    template: path,
    components: [...bundle.components].map(([serviceKey, d]) => ({ serviceKey, image: images(d) })),
  };
  if (options.imagesDir !== undefined) {
    const layout = await OciLayout.open(options.imagesDir, { create: true });
    const tag = version ?? 'latest';
    const copied = await copyImage({
      from: { client: store.client, repository, reference: bundle.descriptor.digest },
      to: { client: layout, repository, tag },
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(signal ? { signal } : {}),
    });
    result.images = { layout: options.imagesDir, tag, stats: copied.stats };
  }
  return result;
}

/** The template with group_version set to the tag and each bound component's share_image at the store's copy. */
export function pointAtStore(
  bytes: Buffer,
  components: Map<string, Descriptor>,
  imageRef: (d: Descriptor) => string,
  version: string | undefined,
): Buffer {
  let template: { group_version?: unknown; apps?: unknown };
  try {
    template = JSON.parse(bytes.toString('utf8')) as typeof template;
  } catch (err) {
    throw failure(
      'the stored template.json is not JSON',
      'pull it with --raw to see it as stored',
      err,
    );
  }
  if (version !== undefined) template.group_version = version;
  for (const app of Array.isArray(template.apps) ? template.apps : []) {
    const component = app as { service_key?: unknown; share_image?: unknown };
    const bound =
      typeof component.service_key === 'string' ? components.get(component.service_key) : undefined;
    if (bound) component.share_image = imageRef(bound);
  }
  return Buffer.from(`${JSON.stringify(template, null, 2)}\n`);
}
