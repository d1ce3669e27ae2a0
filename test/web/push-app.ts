/** Pushes a small app version (template + one component image, as a bundle) through /v2, as a client would. */
import { expect } from 'chai';
import { BundleAnnotations, BundleTypes } from '../../schemas/bundle.js';
import { sha256, type TestRegistryClient } from '../helpers/registry-client.js';
import { templateArtifact } from '../store/app-pushes.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const SERVICE_KEY = '0c8a0ee5b5e14f63a06b1c2bf2a4d5e7';

async function put(
  reg: TestRegistryClient,
  repo: string,
  reference: string,
  manifest: object,
  mediaType: string,
) {
  const body = JSON.stringify(manifest);
  const res = await reg.pushManifest(repo, reference, body, mediaType);
  expect(res.status, await res.text()).to.equal(201);
  return { mediaType, digest: sha256(body), size: Buffer.byteLength(body) };
}

/** The template of a one-component test app (`web`) for `repo` (`<namespace>/<app>`) at `version`. */
export function appTemplate(repo: string, version: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      group_key: 'c0ffee00c0ffee00c0ffee00c0ffee00',
      group_name: repo.split('/')[1],
      group_version: version,
      apps: [
        {
          service_id: SERVICE_KEY,
          service_key: SERVICE_KEY,
          service_cname: 'web',
          extend_method: 'stateless_multiple',
          share_image: 'hub.example/acme/web:1',
        },
      ],
    }),
  );
}

/**
 * A bundle tagged `version` in `repo` (`<namespace>/<app>`), with one component named `web`.
 * `variant` changes the component's layer (another bundle for the same version); `query` goes
 * on the bundle's PUT (`?force=true`).
 */
export async function pushApp(
  reg: TestRegistryClient,
  repo: string,
  version: string,
  options: { variant?: string; query?: string } = {},
): Promise<void> {
  const templateManifest = await templateArtifact(reg, repo, appTemplate(repo, version));
  const tmpl = await put(
    reg,
    repo,
    sha256(JSON.stringify(templateManifest)),
    templateManifest,
    OCI_MANIFEST,
  );
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux' }));
  const blob = Buffer.from(`layer of ${repo}:${version}${options.variant ?? ''}`);
  const c = await reg.pushBlob(repo, config);
  const l = await reg.pushBlob(repo, blob);
  const imageManifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: {
      mediaType: 'application/vnd.oci.image.config.v1+json',
      digest: c.digest,
      size: config.length,
    },
    layers: [
      { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: l.digest, size: blob.length },
    ],
  };
  const image = await put(
    reg,
    repo,
    sha256(JSON.stringify(imageManifest)),
    imageManifest,
    OCI_MANIFEST,
  );
  await put(
    reg,
    repo,
    `${version}${options.query ?? ''}`,
    {
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      artifactType: BundleTypes.bundle,
      manifests: [
        tmpl,
        {
          ...image,
          annotations: {
            [BundleAnnotations.component]: SERVICE_KEY,
            [BundleAnnotations.source]: 'hub.example/acme/web:1',
          },
        },
      ],
      annotations: { [BundleAnnotations.version]: version },
    },
    OCI_INDEX,
  );
}
