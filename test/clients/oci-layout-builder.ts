/**
 * Builds OCI image layouts on disk for the real-client tests (skopeo, podman): images with real
 * gzip'ed tar layers (so podman can unpack them), multi-arch indexes, artifacts and app bundles,
 * all made in-process from random bytes (tar from test/helpers/tar.ts), never fetched.
 *
 * Manifests are written as compact JSON in the field order Go's encoding/json gives them, so a
 * client that parses and re-serialises one (skopeo does with an index on `copy --all`) writes the
 * very same bytes back.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { tarArchive } from '../helpers/tar.js';

export const OCI = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  index: 'application/vnd.oci.image.index.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  empty: 'application/vnd.oci.empty.v1+json',
  refName: 'org.opencontainers.image.ref.name',
  title: 'org.opencontainers.image.title',
} as const;

export interface Platform {
  architecture: string;
  os: string;
}

/** An OCI descriptor, its keys in Go's order: mediaType, digest, size, annotations, platform, artifactType. */
export interface Desc {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: Platform;
  artifactType?: string;
}

export const sha256 = (bytes: Buffer): string =>
  `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** Compact JSON, as Go writes it (it escapes <, > and & in strings: keep them out of test data). */
function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

function sorted(map: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** `desc` with its keys in Go's order and its annotations sorted, as Go would write it. */
export function canonical(desc: Desc): Desc {
  const { mediaType, digest, size, annotations, platform, artifactType } = desc;
  return {
    mediaType,
    digest,
    size,
    ...(annotations ? { annotations: sorted(annotations) } : {}),
    ...(platform ? { platform: { architecture: platform.architecture, os: platform.os } } : {}),
    ...(artifactType ? { artifactType } : {}),
  };
}

function descriptor(
  mediaType: string,
  bytes: Buffer,
  extra: Omit<Desc, 'mediaType' | 'digest' | 'size'> = {},
): Desc {
  return canonical({
    mediaType,
    digest: sha256(bytes),
    size: bytes.length,
    ...extra,
  });
}

/** A layout being written: every blob goes to `blobs/sha256/` at once, `index.json` on `save`. */
export class LayoutBuilder {
  private readonly refs: Desc[] = [];
  private readonly writes: Promise<void>[] = [];

  constructor(readonly dir: string) {}

  blob(
    mediaType: string,
    bytes: Buffer,
    extra: Omit<Desc, 'mediaType' | 'digest' | 'size'> = {},
  ): Desc {
    const desc = descriptor(mediaType, bytes, extra);
    const folder = join(this.dir, 'blobs', 'sha256');
    this.writes.push(
      mkdir(folder, { recursive: true }).then(() =>
        writeFile(join(folder, desc.digest.slice(7)), bytes),
      ),
    );
    return desc;
  }

  /** A runnable-looking image: one gzip'ed tar layer of random content and a config whose diff_ids match it. */
  image(
    options: {
      platform?: Platform;
      files?: Record<string, Buffer | string>;
      annotations?: Record<string, string>;
    } = {},
  ): Desc {
    const platform = options.platform ?? { architecture: 'amd64', os: 'linux' };
    const files = options.files ?? {
      'hello.txt': `hello ${randomBytes(8).toString('hex')}\n`,
      'random.bin': randomBytes(4096),
    };
    const layerTar = tarArchive(Object.entries(files).map(([name, data]) => ({ name, data })));
    const layer = this.blob(OCI.layer, gzipSync(layerTar));
    const config = this.blob(
      OCI.config,
      json({
        created: '2024-01-01T00:00:00Z',
        architecture: platform.architecture,
        os: platform.os,
        config: {
          Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
          Cmd: ['/hello.txt'],
        },
        rootfs: { type: 'layers', diff_ids: [sha256(layerTar)] },
        history: [
          {
            created: '2024-01-01T00:00:00Z',
            created_by: 'appshelf test layout builder',
          },
        ],
      }),
    );
    const manifest = {
      schemaVersion: 2,
      mediaType: OCI.manifest,
      config,
      layers: [layer],
      ...(options.annotations ? { annotations: sorted(options.annotations) } : {}),
    };
    return this.blob(OCI.manifest, json(manifest), { platform });
  }

  /** An OCI 1.1 artifact: empty config, the given layers, `artifactType` on the manifest. */
  artifact(
    artifactType: string,
    layers: { mediaType: string; bytes: Buffer; title?: string }[],
    annotations?: Record<string, string>,
  ): Desc {
    const config = this.blob(OCI.empty, Buffer.from('{}'));
    const layerDescs = layers.map((l) =>
      this.blob(l.mediaType, l.bytes, l.title ? { annotations: { [OCI.title]: l.title } } : {}),
    );
    const manifest = {
      schemaVersion: 2,
      mediaType: OCI.manifest,
      artifactType,
      config,
      layers: layerDescs,
      ...(annotations ? { annotations: sorted(annotations) } : {}),
    };
    return this.blob(OCI.manifest, json(manifest), { artifactType });
  }

  /** An image index over `children` (descriptors exactly as given). */
  index(
    children: Desc[],
    options: {
      annotations?: Record<string, string>;
      artifactType?: string;
    } = {},
  ): Desc {
    const index = {
      schemaVersion: 2,
      mediaType: OCI.index,
      ...(options.artifactType ? { artifactType: options.artifactType } : {}),
      manifests: children.map(canonical),
      ...(options.annotations ? { annotations: sorted(options.annotations) } : {}),
    };
    return this.blob(OCI.index, json(index));
  }

  /** Names `desc` in the layout's index.json, as `oci:<dir>:<name>` finds it. */
  tag(desc: Desc, name: string): void {
    const { platform: _platform, ...plain } = desc;
    this.refs.push(
      canonical({
        ...plain,
        annotations: { ...desc.annotations, [OCI.refName]: name },
      }),
    );
  }

  async save(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await Promise.all(this.writes);
    await writeFile(join(this.dir, 'oci-layout'), json({ imageLayoutVersion: '1.0.0' }));
    await writeFile(
      join(this.dir, 'index.json'),
      json({ schemaVersion: 2, mediaType: OCI.index, manifests: this.refs }),
    );
  }
}

/** Every blob of a layout (manifests included), by digest. */
export async function layoutBlobs(dir: string): Promise<Map<string, Buffer>> {
  const folder = join(dir, 'blobs', 'sha256');
  const out = new Map<string, Buffer>();
  for (const name of await readdir(folder))
    out.set(`sha256:${name}`, await readFile(join(folder, name)));
  return out;
}

/** The descriptor that `index.json` of a layout names `name`. */
export async function layoutRef(dir: string, name: string): Promise<Desc> {
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as {
    manifests: Desc[];
  };
  const found = index.manifests.find((m) => m.annotations?.[OCI.refName] === name);
  if (!found) throw new Error(`layout ${dir} has no ${name}`);
  return found;
}
