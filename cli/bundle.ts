/**
 * The app bundle of ARCHITECTURE.md §3, built and read by the CLI: a template manifest (empty
 * config, template.json as its one layer) and an index whose first child is that manifest and
 * whose other children are the component images, annotated with their service key and source.
 */
import {
  BundleAnnotations,
  bundleIndexJson,
  BundleTypes,
  MAX_TEMPLATE_BYTES,
} from '../schemas/bundle.js';
import { ImageIndex, ImageManifest, MediaTypes, type Descriptor } from '../schemas/oci.js';
import { digestOf, isIndexType, type RegistryClient } from '../registry/client/index.js';
import { failure } from './errors.js';

/** The OCI empty descriptor's content, `{}`. */
export const EMPTY_JSON = Buffer.from('{}');

export interface Built {
  descriptor: Descriptor;
  bytes: Buffer;
}

export interface BoundComponent {
  serviceKey: string;
  /** The component image's root in the app's repository (image manifest or index). */
  descriptor: Descriptor;
  /** The image reference it was copied from. */
  source: string;
}

function built(value: unknown, mediaType: string, extra: Partial<Descriptor> = {}): Built {
  const bytes = Buffer.from(JSON.stringify(value));
  return {
    bytes,
    descriptor: { mediaType, digest: digestOf(bytes), size: bytes.length, ...extra },
  };
}

export function blobDescriptor(
  bytes: Buffer,
  mediaType: string,
  annotations?: Record<string, string>,
): Descriptor {
  return {
    mediaType,
    digest: digestOf(bytes),
    size: bytes.length,
    ...(annotations ? { annotations } : {}),
  };
}

/** The template manifest for template.json bytes (no timestamps: the same template, the same digest). */
export function templateManifest(template: Descriptor): Built {
  const config = blobDescriptor(EMPTY_JSON, MediaTypes.ociEmpty);
  return built(
    {
      schemaVersion: 2,
      mediaType: MediaTypes.ociManifest,
      artifactType: BundleTypes.template,
      config,
      layers: [template],
    },
    MediaTypes.ociManifest,
    { artifactType: BundleTypes.template },
  );
}

export function bundleIndex(
  template: Descriptor,
  components: BoundComponent[],
  annotations: Record<string, string>,
): Built {
  const bytes = Buffer.from(bundleIndexJson(template, components, annotations));
  return {
    bytes,
    descriptor: { mediaType: MediaTypes.ociIndex, digest: digestOf(bytes), size: bytes.length },
  };
}

export interface ReadBundle {
  descriptor: Descriptor;
  index: ImageIndex;
  /** The template manifest and its template.json layer. */
  templateManifest: Descriptor;
  templateLayer: Descriptor;
  /** Component images by service key. */
  components: Map<string, Descriptor>;
}

/** Reads a bundle from the registry; recognised by content (skopeo may drop artifactType fields). */
export async function readBundle(
  client: RegistryClient,
  repository: string,
  reference: string,
  signal?: AbortSignal,
): Promise<ReadBundle> {
  const call = signal ? { signal } : {};
  const { descriptor, bytes } = await client.fetchManifest(repository, reference, call);
  const notBundle = (why: string) =>
    failure(
      `${repository}:${reference} is not an app bundle (${why})`,
      'give the reference of an app version pushed with "appshelf push"',
    );
  if (!isIndexType(descriptor.mediaType)) throw notBundle('it is not an image index');
  const index = ImageIndex.parse(JSON.parse(bytes.toString('utf8')));
  const candidates = [...index.manifests].sort(
    (a, b) =>
      Number(b.artifactType === BundleTypes.template) -
      Number(a.artifactType === BundleTypes.template),
  );
  for (const child of candidates) {
    if (isIndexType(child.mediaType) || child.annotations?.[BundleAnnotations.component]) continue;
    const manifest = ImageManifest.safeParse(
      JSON.parse((await client.fetchManifest(repository, child, call)).bytes.toString('utf8')),
    );
    if (!manifest.success) continue;
    const layer =
      manifest.data.layers.find((l) => l.mediaType === BundleTypes.template) ??
      (manifest.data.artifactType === BundleTypes.template
        ? manifest.data.layers.find(
            (l) => l.annotations?.[BundleAnnotations.title] === 'template.json',
          )
        : undefined);
    if (!layer) continue;
    const components = new Map<string, Descriptor>();
    for (const d of index.manifests) {
      const key = d.annotations?.[BundleAnnotations.component];
      if (key) components.set(key, d);
    }
    return { descriptor, index, templateManifest: child, templateLayer: layer, components };
  }
  throw notBundle('no child holds a template.json');
}

/** template.json's bytes, as pushed (verified against the layer's digest). */
export async function fetchTemplate(
  client: RegistryClient,
  repository: string,
  layer: Descriptor,
  signal?: AbortSignal,
): Promise<Buffer> {
  if (layer.size > MAX_TEMPLATE_BYTES)
    throw failure(
      `template.json is ${layer.size} bytes, more than the ${MAX_TEMPLATE_BYTES} allowed`,
      'the bundle is damaged or not an appshelf bundle',
    );
  const chunks: Buffer[] = [];
  for await (const chunk of (await client.fetchBlob(
    repository,
    layer,
    signal ? { signal } : {},
  )) as AsyncIterable<Buffer>)
    chunks.push(chunk);
  return Buffer.concat(chunks); // fetchBlob verified digest and size: at most layer.size bytes
}
