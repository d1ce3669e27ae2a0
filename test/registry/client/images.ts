/** Test images built in memory (random layers, so every test's blobs are new) and pushed with the client. */
import { randomBytes } from 'node:crypto';
import { MediaTypes, type Descriptor } from '../../../schemas/oci.js';
import { digestOf, type RegistryClient } from '../../../registry/client/index.js';

export interface Blob {
  desc: Descriptor;
  bytes: Buffer;
}

export interface BuiltManifest {
  desc: Descriptor;
  bytes: Buffer;
  /** Everything below it, children first. */
  blobs: Blob[];
  children: BuiltManifest[];
}

const DOCKER = {
  config: 'application/vnd.docker.container.image.v1+json',
  layer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
};

function blob(mediaType: string, bytes: Buffer): Blob {
  return { desc: { mediaType, digest: digestOf(bytes), size: bytes.length }, bytes };
}

export function buildImage(
  options: { layerSizes?: number[]; docker?: boolean; architecture?: string; shared?: Blob[] } = {},
): BuiltManifest {
  const architecture = options.architecture ?? 'amd64';
  const docker = options.docker ?? false;
  const config = blob(
    docker ? DOCKER.config : 'application/vnd.oci.image.config.v1+json',
    Buffer.from(
      JSON.stringify({
        architecture,
        os: 'linux',
        rootfs: { type: 'layers', diff_ids: [] },
        nonce: randomBytes(8).toString('hex'),
      }),
    ),
  );
  const fresh = (options.layerSizes ?? [2048]).map((size) =>
    blob(docker ? DOCKER.layer : 'application/vnd.oci.image.layer.v1.tar+gzip', randomBytes(size)),
  );
  const layers = [...(options.shared ?? []), ...fresh];
  const mediaType = docker ? MediaTypes.dockerManifest : MediaTypes.ociManifest;
  // Two-space indented JSON: a copy that re-serialises would change the digest.
  const bytes = Buffer.from(
    JSON.stringify(
      { schemaVersion: 2, mediaType, config: config.desc, layers: layers.map((l) => l.desc) },
      null,
      2,
    ),
  );
  return {
    desc: {
      mediaType,
      digest: digestOf(bytes),
      size: bytes.length,
      platform: { architecture, os: 'linux' },
    },
    bytes,
    blobs: [config, ...layers],
    children: [],
  };
}

export function buildIndex(images: BuiltManifest[]): BuiltManifest {
  const manifests = images.map((i) => i.desc);
  const bytes = Buffer.from(
    JSON.stringify(
      {
        schemaVersion: 2,
        mediaType: MediaTypes.ociIndex,
        manifests,
        annotations: { 'org.example.note': 'multi-arch' },
      },
      null,
      2,
    ),
  );
  return {
    desc: { mediaType: MediaTypes.ociIndex, digest: digestOf(bytes), size: bytes.length },
    bytes,
    blobs: [],
    children: images,
  };
}

/** Pushes blobs, then children, then the manifest itself (by `tag`, or by digest). */
export async function pushBuilt(
  client: RegistryClient,
  repository: string,
  built: BuiltManifest,
  tag?: string,
): Promise<void> {
  for (const child of built.children) await pushBuilt(client, repository, child);
  for (const b of built.blobs) await client.pushBlob(repository, b.desc, b.bytes);
  await client.pushManifest(
    repository,
    tag ?? built.desc.digest,
    built.bytes,
    built.desc.mediaType,
  );
}

/** Every blob digest in the tree. */
export function allBlobs(built: BuiltManifest): Blob[] {
  return [...built.blobs, ...built.children.flatMap(allBlobs)];
}

/** A `fetch` that records every request (method and URL) before sending it. */
export function recordingFetch(
  log: { method: string; url: URL }[],
  inner: typeof fetch = fetch,
): typeof fetch {
  return (input, init) => {
    const url = new URL(input instanceof Request ? input.url : input.toString());
    log.push({ method: init?.method ?? 'GET', url });
    return inner(input, init);
  };
}
