/**
 * App versions published on an upstream store as a publisher would: a bundle over /v2 whose
 * component is a two-platform image index carrying a signature (an OCI referrer), optionally with
 * big layers; and the listing through the store API.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { BundleAnnotations, BundleTypes } from '../../schemas/bundle.js';
import { api } from '../helpers/accounts.js';
import { sha256, type TestRegistryClient } from '../helpers/registry-client.js';
import { ADMIN_KEY, type TestServer } from '../helpers/server.js';
import { appTemplate } from '../web/push-app.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const EMPTY = 'application/vnd.oci.empty.v1+json';
const SERVICE_KEY = '0c8a0ee5b5e14f63a06b1c2bf2a4d5e7';

export interface Published {
  version: string;
  bundle: string;
  component: string;
  signature: string;
  /** Every blob digest of the version. */
  blobs: string[];
  /** The big layers' digests. */
  big: string[];
}

async function put(
  reg: TestRegistryClient,
  repo: string,
  ref: string,
  manifest: object,
  type: string,
) {
  const body = JSON.stringify(manifest);
  const res = await reg.pushManifest(repo, ref, body, type);
  expect(res.status, await res.text()).to.equal(201);
  return { mediaType: type, digest: sha256(body), size: Buffer.byteLength(body) };
}

async function blob(reg: TestRegistryClient, repo: string, data: Buffer, blobs: string[]) {
  const pushed = await reg.pushBlob(repo, data);
  expect(pushed.status).to.equal(201);
  blobs.push(pushed.digest);
  return pushed.digest;
}

/** Publishes `version` of `repo`; `bigLayers` MiB-sized random layers go into the amd64 image. */
export async function publishVersion(
  reg: TestRegistryClient,
  repo: string,
  version: string,
  bigLayers = 0,
): Promise<Published> {
  const blobs: string[] = [];
  const big: string[] = [];
  const template = appTemplate(repo, version);
  const empty = await blob(reg, repo, Buffer.from('{}'), blobs);
  const layer = await blob(reg, repo, template, blobs);
  const templateManifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType: BundleTypes.template,
    config: { mediaType: EMPTY, digest: empty, size: 2 },
    layers: [
      {
        mediaType: BundleTypes.template,
        digest: layer,
        size: template.length,
        annotations: { [BundleAnnotations.title]: 'template.json' },
      },
    ],
  };
  const templateDesc = await put(
    reg,
    repo,
    sha256(JSON.stringify(templateManifest)),
    templateManifest,
    OCI_MANIFEST,
  );
  const platforms = [];
  for (const architecture of ['amd64', 'arm64']) {
    const config = Buffer.from(JSON.stringify({ architecture, os: 'linux', version }));
    const layers = [Buffer.from(`layer of ${repo}:${version}:${architecture}`)];
    if (architecture === 'amd64')
      for (let i = 0; i < bigLayers; i++) layers.push(randomBytes(1024 * 1024));
    const c = await blob(reg, repo, config, blobs);
    const ls = [];
    for (const l of layers) {
      const digest = await blob(reg, repo, l, blobs);
      if (l.length >= 1024 * 1024) big.push(digest);
      ls.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest, size: l.length });
    }
    const image = {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: c,
        size: config.length,
      },
      layers: ls,
    };
    const desc = await put(reg, repo, sha256(JSON.stringify(image)), image, OCI_MANIFEST);
    platforms.push({ ...desc, platform: { architecture, os: 'linux' } });
  }
  const indexBody = { schemaVersion: 2, mediaType: OCI_INDEX, manifests: platforms };
  const component = await put(reg, repo, sha256(JSON.stringify(indexBody)), indexBody, OCI_INDEX);
  const payload = Buffer.from(
    JSON.stringify({ critical: { image: { 'docker-manifest-digest': component.digest } } }),
  );
  const sigLayer = await blob(reg, repo, payload, blobs);
  const signature = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json',
    config: { mediaType: EMPTY, digest: empty, size: 2 },
    layers: [
      {
        mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json',
        digest: sigLayer,
        size: payload.length,
      },
    ],
    subject: component,
  };
  const sig = await put(reg, repo, sha256(JSON.stringify(signature)), signature, OCI_MANIFEST);
  const bundle = await put(
    reg,
    repo,
    version,
    {
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      artifactType: BundleTypes.bundle,
      manifests: [
        templateDesc,
        {
          ...component,
          annotations: {
            [BundleAnnotations.component]: SERVICE_KEY,
            [BundleAnnotations.source]: `hub.example/${repo}:${version}`,
          },
        },
      ],
      annotations: {
        [BundleAnnotations.version]: version,
        [BundleAnnotations.description]: `v${version}`,
      },
    },
    OCI_INDEX,
  );
  return {
    version,
    bundle: bundle.digest,
    component: component.digest,
    signature: sig.digest,
    blobs: [...new Set(blobs)],
    big,
  };
}

/** A one-pixel PNG. */
export const LOGO = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

/** The listing of an app on `srv`, as the admin sets it. */
export async function setListing(
  srv: TestServer,
  app: string,
  packageVersion: string,
): Promise<void> {
  const as = { bearer: ADMIN_KEY };
  const answers = [
    await api(srv, 'PATCH', `/api/v1/apps/${app}`, {
      ...as,
      body: {
        displayName: 'Web Suite',
        summary: 'A web app in three parts',
        introduction: '# Web Suite\n\nEverything a web app needs.',
        tags: ['web', 'demo'],
        categories: ['tools'],
        homeUrl: 'https://web.example.com',
      },
    }),
    await api(srv, 'PUT', `/api/v1/apps/${app}/logo`, {
      ...as,
      body: LOGO,
      headers: { 'content-type': 'image/png' },
    }),
    await api(srv, 'POST', `/api/v1/apps/${app}/packages`, {
      ...as,
      body: { name: packageVersion, versions: [packageVersion] },
    }),
    await api(srv, 'PUT', `/api/v1/apps/${app}/shelf`, { ...as, body: { listed: true } }),
  ];
  for (const a of answers) expect(a.status, a.text).to.be.oneOf([200, 201]);
}
