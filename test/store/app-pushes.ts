/** App content pushed with plain OCI calls (raw HTTP): a bare template (a draft) and a bundle. */
import { expect } from 'chai';
import { BundleAnnotations, BundleTypes } from '../../schemas/bundle.js';
import { sha256, type TestRegistryClient } from '../helpers/registry-client.js';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

export interface Pushed {
  mediaType: string;
  digest: string;
  size: number;
}

/**
 * The template artifact's manifest (ARCHITECTURE.md §3: empty config, template.json as its one
 * titled layer), its two blobs pushed; not PUT yet. `annotations` go on the manifest.
 */
export async function templateArtifact(
  reg: TestRegistryClient,
  repo: string,
  template: Buffer,
  annotations?: Record<string, string>,
): Promise<object> {
  const empty = await reg.pushBlob(repo, '{}');
  const layer = await reg.pushBlob(repo, template);
  expect([empty.status, layer.status]).to.deep.equal([201, 201]);
  return {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType: BundleTypes.template,
    config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: empty.digest, size: 2 },
    layers: [
      {
        mediaType: BundleTypes.template,
        digest: layer.digest,
        size: template.length,
        annotations: { [BundleAnnotations.title]: 'template.json' },
      },
    ],
    ...(annotations ? { annotations } : {}),
  };
}

/** The template artifact (ARCHITECTURE.md §3) PUT under `reference`, answered as the registry answers. */
export async function putTemplate(
  reg: TestRegistryClient,
  repo: string,
  template: Buffer,
  reference?: string,
  annotations?: Record<string, string>,
): Promise<{ res: Response; pushed: Pushed }> {
  const body = JSON.stringify(await templateArtifact(reg, repo, template, annotations));
  const res = await reg.pushManifest(repo, reference ?? sha256(body), body);
  return {
    res,
    pushed: { mediaType: OCI_MANIFEST, digest: sha256(body), size: Buffer.byteLength(body) },
  };
}

/** The template artifact, which must be accepted: empty config, template.json as its one titled layer. */
export async function pushTemplate(
  reg: TestRegistryClient,
  repo: string,
  template: Buffer,
  tag?: string,
): Promise<Pushed> {
  const { res, pushed } = await putTemplate(reg, repo, template, tag);
  expect(res.status, await res.text()).to.equal(201);
  return pushed;
}

/**
 * A bundle: the template by digest, one image per service key, the index under `version`, its
 * description annotation `description` (default `bundle <version>`; '' leaves it out).
 */
export async function pushBundle(
  reg: TestRegistryClient,
  repo: string,
  version: string,
  template: Buffer,
  serviceKeys: string[],
  description = `bundle ${version}`,
): Promise<Pushed & { images: string[] }> {
  const tpl = await pushTemplate(reg, repo, template);
  const images: string[] = [];
  const children: object[] = [tpl];
  for (const key of serviceKeys) {
    const image = await reg.pushImage(
      repo,
      `image-${version}-${key.slice(0, 8)}`,
      `${repo}:${version}:${key}`,
    );
    const size = Buffer.byteLength(JSON.stringify(image.manifest));
    images.push(image.digest);
    children.push({
      mediaType: OCI_MANIFEST,
      digest: image.digest,
      size,
      annotations: {
        [BundleAnnotations.component]: key,
        [BundleAnnotations.source]: `hub.example/${repo}/${key}:${version}`,
      },
    });
  }
  const body = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    artifactType: BundleTypes.bundle,
    manifests: children,
    annotations: {
      [BundleAnnotations.version]: version,
      ...(description ? { [BundleAnnotations.description]: description } : {}),
    },
  });
  const res = await reg.pushManifest(repo, version, body, OCI_INDEX);
  expect(res.status, await res.text()).to.equal(201);
  return { mediaType: OCI_INDEX, digest: sha256(body), size: Buffer.byteLength(body), images };
}
