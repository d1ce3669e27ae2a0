/**
 * Where a component image comes from, in skopeo's transport syntax:
 *
 *   docker://[host/]repo[:tag|@digest]   a registry (Docker Hub when no host is named)
 *   oci:<dir>[:<tag>]                    an OCI image layout (its only image when no tag is named)
 *
 * A bare reference (`nginx:1.25`, as templates write them) means docker://. Other transports
 * (docker-daemon:, docker-archive:, oci-archive:, containers-storage:) are not supported yet.
 */
import { OciLayout, RegistryClient, isDigest, type Credentials, type CopySource, type RepositoryProvider } from '../registry/client/index.js';
import { REF_NAME } from '../registry/client/index.js';
import { REPOSITORY_NAME_PATTERN, TAG_PATTERN } from '../schemas/oci.js';
import { failure, usage } from './errors.js';

export type ImageSource =
  | { kind: 'registry'; host: string; repository: string; tag: string | undefined; digest: string | undefined; text: string }
  | { kind: 'layout'; dir: string; tag: string | undefined; text: string };

/** An image source ready for copyImage. */
export interface OpenedSource {
  client: RepositoryProvider<CopySource>;
  repository: string;
  /** A tag or digest in that repository. */
  reference: string;
  /** The image reference recorded in the bundle (io.rainbond.ram.source). */
  ref: string;
}

const UNSUPPORTED = ['docker-daemon:', 'docker-archive:', 'oci-archive:', 'containers-storage:', 'dir:', 'sif:', 'tarball:'];
const DOCKER_HUB = 'docker.io';

export function parseImageSource(text: string): ImageSource {
  const transport = UNSUPPORTED.find((t) => text.startsWith(t));
  if (transport) {
    throw usage(
      `image source "${text}": the ${transport} transport is not supported yet`,
      'push the image to a registry and give docker://<ref>, or save it as an OCI layout (skopeo copy ... oci:<dir>:<tag>) and give oci:<dir>:<tag>',
    );
  }
  if (text.startsWith('oci:')) {
    const rest = text.slice(4);
    const colon = rest.lastIndexOf(':');
    const tag = colon >= 0 && !rest.slice(colon + 1).includes('/') ? rest.slice(colon + 1) : undefined;
    const dir = tag === undefined ? rest : rest.slice(0, colon);
    if (!dir) throw usage(`image source "${text}" names no folder`, 'write oci:<dir>[:<tag>]');
    if (tag !== undefined && !TAG_PATTERN.test(tag)) throw usage(`image source "${text}": "${tag}" is not a valid tag`, 'write oci:<dir>[:<tag>]');
    return { kind: 'layout', dir, tag, text };
  }
  const bad = (why: string) => usage(`image source "${text}" is not an image reference (${why})`, 'write docker://[host/]repository[:tag] or oci:<dir>[:<tag>]');
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
  const named = segments.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  const host = named ? first : DOCKER_HUB;
  let repository = (named ? segments.slice(1) : segments).join('/');
  if (host === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  if (!REPOSITORY_NAME_PATTERN.test(repository)) throw bad('repository names are lower-case letters, digits and . _ - /');
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
): Promise<OpenedSource> {
  if (source.kind === 'registry') {
    const apiHost = source.host === DOCKER_HUB ? 'registry-1.docker.io' : source.host;
    const client = new RegistryClient({ host: apiHost, credentials: await credentials(source.host), userAgent: 'appshelf-cli/0.1' });
    const reference = source.digest ?? source.tag ?? 'latest';
    const ref = `${source.host}/${source.repository}${source.tag ? `:${source.tag}` : ''}${source.digest ? `@${source.digest}` : ''}`;
    return { client, repository: source.repository, reference, ref: source.tag || source.digest ? ref : `${ref}:latest` };
  }
  let layout: OciLayout;
  try {
    layout = await OciLayout.open(source.dir);
  } catch (err) {
    throw failure(`image source "${source.text}": ${source.dir} is not an OCI image layout (${(err as Error).message})`, 'give the folder of an OCI layout (it holds oci-layout and index.json)', err);
  }
  let reference = source.tag;
  if (reference === undefined) {
    const { manifests } = await layout.readIndex();
    if (manifests.length !== 1) {
      const tags = manifests.map((m) => m.annotations?.[REF_NAME]).filter(Boolean);
      throw usage(`image source "${source.text}": the layout holds ${manifests.length} images`, `name one: oci:${source.dir}:<tag>${tags.length ? ` (tags: ${tags.join(', ')})` : ''}`);
    }
    reference = manifests[0]!.digest;
  }
  return { client: layout, repository: '', reference, ref: templateRef || `oci:${source.dir}:${reference}` };
}
