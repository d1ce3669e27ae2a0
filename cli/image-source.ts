/**
 * Where a component image comes from, in skopeo's transport syntax:
 *
 *   docker://[host/]repo[:tag|@digest]   a registry (Docker Hub when no host is named)
 *   oci:<dir>[:<tag>]                    an OCI image layout (its only image when no tag is named)
 *   docker-daemon:<name>[:<tag>]         an image of the Docker engine (DOCKER_HOST, else its
 *                                        default socket), exported as `docker save` does
 *   docker-archive:<file>[:<name>]       a `docker save` tar (its only image when no name is given)
 *
 * A bare reference (`nginx:1.25`, as templates write them) means docker://. Other transports
 * (oci-archive:, containers-storage:) are not supported yet.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import {
  OciLayout,
  RegistryClient,
  isDigest,
  type Credentials,
  type CopySource,
  type RepositoryProvider,
} from '../registry/client/index.js';
import { REF_NAME } from '../registry/client/index.js';
import { REPOSITORY_NAME_PATTERN, TAG_PATTERN } from '../schemas/oci.js';
import {
  ArchiveError,
  loadDockerArchive,
  pickImage,
  type LoadedArchive,
} from './docker-archive.js';
import { failure, reasonOf, usage } from './errors.js';
import { openArchive } from './tar-read.js';

export type ImageSource =
  | {
      kind: 'registry';
      host: string;
      repository: string;
      tag: string | undefined;
      digest: string | undefined;
      text: string;
    }
  | { kind: 'layout'; dir: string; tag: string | undefined; text: string }
  | { kind: 'daemon'; name: string; text: string }
  | { kind: 'archive'; file: string; name: string | undefined; text: string };

/** An image source ready for copyImage. */
export interface OpenedSource {
  client: RepositoryProvider<CopySource>;
  repository: string;
  /** A tag or digest in that repository. */
  reference: string;
  /** The image reference recorded in the bundle (io.rainbond.ram.source). */
  ref: string;
  /** Removes what opening it left on disk (an exported image). */
  close?: () => Promise<void>;
}

const UNSUPPORTED = ['oci-archive:', 'containers-storage:', 'dir:', 'sif:', 'tarball:'];
const DOCKER_HUB = 'docker.io';

export function parseImageSource(text: string): ImageSource {
  const transport = UNSUPPORTED.find((t) => text.startsWith(t));
  if (transport) {
    throw usage(
      `image source "${text}": the ${transport} transport is not supported yet`,
      'give docker://<ref>, docker-daemon:<name>:<tag>, docker-archive:<file>, or an OCI layout as oci:<dir>:<tag> (skopeo copy ... oci:<dir>:<tag> writes one)',
    );
  }
  if (text.startsWith('docker-daemon:')) {
    const name = text.slice('docker-daemon:'.length);
    if (!name || /\s/.test(name) || name.includes('://'))
      throw usage(
        `image source "${text}" names no image`,
        'write docker-daemon:<name>:<tag> ("docker images" lists them)',
      );
    return { kind: 'daemon', name, text };
  }
  if (text.startsWith('docker-archive:')) {
    const rest = text.slice('docker-archive:'.length);
    const colon = rest.indexOf(':');
    const file = colon >= 0 ? rest.slice(0, colon) : rest;
    const name = colon >= 0 ? rest.slice(colon + 1) : undefined;
    if (!file || name === '')
      throw usage(
        `image source "${text}" names no file`,
        'write docker-archive:<file>[:<name>:<tag>]',
      );
    return { kind: 'archive', file, name, text };
  }
  if (text.startsWith('oci:')) {
    const rest = text.slice(4);
    const colon = rest.lastIndexOf(':');
    const tag =
      colon >= 0 && !rest.slice(colon + 1).includes('/') ? rest.slice(colon + 1) : undefined;
    const dir = tag === undefined ? rest : rest.slice(0, colon);
    if (!dir) throw usage(`image source "${text}" names no folder`, 'write oci:<dir>[:<tag>]');
    if (tag !== undefined && !TAG_PATTERN.test(tag))
      throw usage(`image source "${text}": "${tag}" is not a valid tag`, 'write oci:<dir>[:<tag>]');
    return { kind: 'layout', dir, tag, text };
  }
  const bad = (why: string) =>
    usage(
      `image source "${text}" is not an image reference (${why})`,
      'write docker://[host/]repository[:tag] or oci:<dir>[:<tag>]',
    );
  let rest = text.startsWith('docker://') ? text.slice(9) : text;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(rest) || rest.includes('://')) throw bad('unknown transport');
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!isDigest(digest)) throw bad('the part after @ is not a digest');
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_PATTERN.test(tag)) throw bad(`"${tag}" is not a valid tag`);
  }
  const segments = rest.split('/');
  const first = segments[0] ?? '';
  const named =
    segments.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  const host = named ? first : DOCKER_HUB;
  let repository = (named ? segments.slice(1) : segments).join('/');
  if (host === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  if (!REPOSITORY_NAME_PATTERN.test(repository))
    throw bad('repository names are lower-case letters, digits and . _ - /');
  return { kind: 'registry', host, repository, tag, digest, text };
}

/**
 * Opens a source. `credentials(host)` gives the login for a registry host (stores we are logged
 * in to); others are read anonymously. `templateRef` is what the template names the image as,
 * recorded as the source of an image that comes from a layout.
 */
export async function openImageSource(
  source: ImageSource,
  credentials: (host: string) => Promise<Credentials | undefined>,
  templateRef?: string,
  signal?: AbortSignal,
): Promise<OpenedSource> {
  if (source.kind === 'daemon' || source.kind === 'archive')
    return openDockerSource(source, templateRef, signal);
  if (source.kind === 'registry') {
    const apiHost = source.host === DOCKER_HUB ? 'registry-1.docker.io' : source.host;
    const client = new RegistryClient({
      host: apiHost,
      credentials: await credentials(source.host),
      userAgent: 'appshelf-cli/0.1',
    });
    const reference = source.digest ?? source.tag ?? 'latest';
    const ref = `${source.host}/${source.repository}${source.tag ? `:${source.tag}` : ''}${source.digest ? `@${source.digest}` : ''}`;
    return {
      client,
      repository: source.repository,
      reference,
      ref: source.tag || source.digest ? ref : `${ref}:latest`,
    };
  }
  let layout: OciLayout;
  try {
    layout = await OciLayout.open(source.dir);
  } catch (err) {
    throw failure(
      `image source "${source.text}": ${source.dir} is not an OCI image layout (${(err as Error).message})`,
      'give the folder of an OCI layout (it holds oci-layout and index.json)',
      err,
    );
  }
  let reference = source.tag;
  if (reference === undefined) {
    const { manifests } = await layout.readIndex();
    if (manifests.length !== 1) {
      const tags = manifests.map((m) => m.annotations?.[REF_NAME]).filter(Boolean);
      throw usage(
        `image source "${source.text}": the layout holds ${manifests.length} images`,
        `name one: oci:${source.dir}:<tag>${tags.length ? ` (tags: ${tags.join(', ')})` : ''}`,
      );
    }
    reference = manifests[0]!.digest;
  }
  return {
    client: layout,
    repository: '',
    reference,
    ref: templateRef || `oci:${source.dir}:${reference}`,
  };
}

/** Exports (docker-daemon:) or reads (docker-archive:) a docker-archive into a temp OCI layout. */
async function openDockerSource(
  source: Extract<ImageSource, { kind: 'daemon' | 'archive' }>,
  templateRef: string | undefined,
  signal?: AbortSignal,
): Promise<OpenedSource> {
  const work = await mkdtemp(join(tmpdir(), 'appshelf-docker-'));
  const close = () => rm(work, { recursive: true, force: true });
  try {
    let loaded: LoadedArchive;
    let wanted: string | undefined;
    if (source.kind === 'daemon') {
      const input = await exportFromDaemon(source, signal);
      try {
        loaded = await loadArchive(source, input, work, signal);
      } finally {
        input.destroy();
      }
    } else {
      const input = await openArchive(source.file, signal);
      try {
        loaded = await loadArchive(source, input, work, signal);
      } finally {
        input.destroy();
      }
      wanted = source.name;
    }
    const image =
      pickImage(loaded.images, wanted) ??
      (source.kind === 'daemon' && loaded.images.length === 1 ? loaded.images[0] : undefined);
    if (!image) {
      const names = loaded.images.flatMap((i) => i.repoTags);
      throw usage(
        wanted
          ? `image source "${source.text}": the archive holds no image named ${wanted}`
          : `image source "${source.text}": the archive holds ${loaded.images.length} images`,
        `name one: docker-archive:${source.kind === 'archive' ? source.file : ''}:<name>:<tag>${names.length ? ` (${names.join(', ')})` : ''}`,
      );
    }
    return {
      client: loaded.layout,
      repository: '',
      reference: image.descriptor.digest,
      ref: templateRef || source.text,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

async function loadArchive(
  source: Extract<ImageSource, { kind: 'daemon' | 'archive' }>,
  input: AsyncIterable<Buffer>,
  work: string,
  signal?: AbortSignal,
): Promise<LoadedArchive> {
  try {
    return await loadDockerArchive(input, work, signal);
  } catch (err) {
    if (
      signal?.aborted ||
      (err as NodeJS.ErrnoException).code === 'ENOENT' ||
      (err as { name?: string }).name === 'CliError'
    )
      throw err;
    const what =
      source.kind === 'daemon' ? `the Docker engine's export of ${source.name}` : source.file;
    throw failure(
      `image source "${source.text}": ${what} is not a usable docker-archive (${(err as Error).message})`,
      err instanceof ArchiveError || source.kind === 'daemon'
        ? 'give an image as "docker save" writes it'
        : 'give a tar written by "docker save"',
      err,
    );
  }
}

/** The Docker engine's `docker save` stream of one image (through dockerode: DOCKER_HOST, else the default socket). */
async function exportFromDaemon(
  source: Extract<ImageSource, { kind: 'daemon' }>,
  signal?: AbortSignal,
): Promise<Readable> {
  const { default: Docker } = await import('dockerode');
  const docker = new Docker();
  const where = process.env.DOCKER_HOST || 'unix:///var/run/docker.sock';
  let stream: Readable;
  try {
    stream = (await docker.getImage(source.name).get()) as unknown as Readable;
  } catch (err) {
    const status = (err as { statusCode?: number }).statusCode;
    if (status === 404)
      throw failure(
        `image source "${source.text}": the Docker engine has no image ${source.name}`,
        'pull or build it first ("docker images" lists them)',
        err,
      );
    if (status !== undefined)
      throw failure(
        `image source "${source.text}": the Docker engine refused the export (${status}: ${(err as Error).message.trim()})`,
        'check the image name, and the engine with "docker info"',
        err,
      );
    const reason = (err as NodeJS.ErrnoException).code ?? reasonOf(err) ?? (err as Error).message;
    throw failure(
      `cannot reach the Docker engine at ${where} (${reason})`,
      'start Docker, or set DOCKER_HOST to its socket (unix:///var/run/docker.sock)',
      err,
    );
  }
  if (signal) {
    if (signal.aborted) stream.destroy();
    else
      signal.addEventListener(
        'abort',
        () =>
          stream.destroy(signal.reason instanceof Error ? signal.reason : new Error('interrupted')),
        { once: true },
      );
  }
  return stream;
}
